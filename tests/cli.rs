//! The command-line tool's fixed interface, run as a user would run it.

use std::process::Command;

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_label-noise-lab")).args(args).output().expect("the binary runs")
}

#[test]
fn run_with_json_prints_the_summary_as_the_last_line() {
    let out = cli(&["run", "--model", "mlp1", "--clean", "10000", "--alpha", "20", "--noise", "uniform", "--epochs", "1", "--seed", "7", "--width", "64", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let accuracy = json["test_accuracy"].as_f64().unwrap();
    assert!((0.3..=1.0).contains(&accuracy), "well above chance: {accuracy}");
    assert_eq!(json["epochs"], 1);
    assert!(json["samples_per_sec"].as_f64().unwrap() > 0.0);
    assert_eq!(json["history"].as_array().unwrap().len(), 1);
    assert_eq!(json["history"][0]["test_accuracy"].as_f64().unwrap(), accuracy);
    assert_eq!(json["config"]["alpha"], 20.0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("epoch"), "progress goes to stderr");
}

#[test]
fn bad_arguments_get_clear_messages() {
    for (args, expected) in [
        (vec!["run", "--model", "resnet"], "model: \"resnet\" is not one of perceptron, mlp1, mlp2, mlp4"),
        (vec!["run", "--alpha", "250"], "alpha must be 0..100"),
        (vec!["run", "--noise", "structured", "--delta", "1", "--alpha", "3"], "needs alpha >= 10"),
        (vec!["run", "--batch", "many"], "batch: \"many\" is not a number"),
        (vec!["sweep", "--preset", "cifar"], "[possible values: uniform, structured"),
        // Refused before any data is read: an estimated week of training.
        (vec!["run", "--alpha", "100", "--clean", "60000", "--batch", "1", "--epochs", "1000"], "would take about"),
    ] {
        let out = cli(&args);
        assert!(!out.status.success(), "{args:?} must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[test]
fn missing_data_folder_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_label-noise-lab")).args(["run", "--epochs", "1"]).env("MNIST_DIR", "/nonexistent/mnist").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/mnist: no train-images-idx3-ubyte"));
}

#[test]
fn two_shards_merged_equal_the_unsharded_sweep() {
    let dir = std::env::temp_dir().join(format!("lnl-shards-{}", std::process::id()));
    let out = dir.to_str().unwrap();
    // A small, fast version of a real preset: 2 series x 3 alphas x 2 seeds, 12,000 samples a point.
    let sweep = |extra: &[&str]| {
        let mut args = vec!["sweep", "--preset", "noisy-images", "--scale", "quick", "--clean", "1000", "--epochs", "1", "--min-samples", "12000", "--seeds", "2", "--jobs", "2", "--out", out];
        args.extend(extra);
        let run = cli(&args);
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    };
    sweep(&["--shard", "1/2"]);
    sweep(&["--shard", "2/2"]);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let (one, two) = (read("noisy-images-quick.shard-1-of-2.csv"), read("noisy-images-quick.shard-2-of-2.csv"));
    assert!(one.lines().count() > 1 && two.lines().count() > 1, "each shard trained points:\n{one}\n{two}");
    let merged = cli(&["merge", "--preset", "noisy-images", "--scale", "quick", "--seeds", "2", "--out", out]);
    assert!(merged.status.success(), "{}", String::from_utf8_lossy(&merged.stderr));
    let merged = read("noisy-images-quick.csv");
    assert!(dir.join("noisy-images-quick.svg").exists());
    // The unsharded sweep from scratch (a sweep keeps the finished points in its file).
    std::fs::remove_file(dir.join("noisy-images-quick.csv")).unwrap();
    sweep(&[]);
    let whole = read("noisy-images-quick.csv");
    // Everything but the speed column (wall-clock) is the same, row for row.
    let without_speed = |csv: &str| csv.lines().map(|l| l.split(',').enumerate().filter(|(i, _)| *i != 5).map(|(_, f)| f).collect::<Vec<_>>().join(",")).collect::<Vec<_>>();
    assert_eq!(without_speed(&merged), without_speed(&whole));
    assert_eq!(whole.lines().count(), 1 + one.lines().count() - 1 + two.lines().count() - 1);
    // A shard missing is an error naming the points.
    std::fs::remove_file(dir.join("noisy-images-quick.shard-2-of-2.csv")).unwrap();
    let short = cli(&["merge", "--preset", "noisy-images", "--scale", "quick", "--seeds", "2", "--out", out]);
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("points are in no shard"), "{}", String::from_utf8_lossy(&short.stderr));
    assert!(!cli(&["sweep", "--shard", "3/2"]).status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_stopped_sweep_resumes_from_its_file_and_values_picks_points() {
    let dir = std::env::temp_dir().join(format!("lnl-resume-{}", std::process::id()));
    let out = dir.to_str().unwrap();
    let sweep_of = |series: &str, extra: &[&str]| {
        let mut args = vec!["sweep", "--preset", "noisy-images", "--scale", "quick", "--series", series, "--clean", "1000", "--epochs", "1", "--seeds", "1", "--jobs", "1", "--out", out];
        args.extend(extra);
        let run = cli(&args);
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        String::from_utf8_lossy(&run.stderr).to_string()
    };
    let sweep = |extra: &[&str]| sweep_of("novel", extra);
    let rows = || std::fs::read_to_string(dir.join("noisy-images-quick.csv")).unwrap().lines().skip(1).map(String::from).collect::<Vec<_>>();
    // As a session that stopped after two points leaves it.
    sweep(&["--values", "20,0"]);
    let first = rows();
    assert_eq!(first.iter().map(|r| r.split(',').nth(1).unwrap().parse::<f64>().unwrap()).collect::<Vec<_>>(), [0.0, 20.0], "only the asked values, in the preset's order");
    let log = sweep(&[]);
    assert!(log.contains("2 of 3 points already there"), "{log}");
    assert!(log.contains("; overridden by --epochs 1 --clean 1000\n"), "the settings printed say what the run changed: {log}");
    let all = rows();
    assert_eq!(all.len(), 3);
    assert_eq!((&all[0], &all[2]), (&first[0], &first[1]), "the finished points kept as they were, the new one in its place");
    // Another recipe is not the same point: trained anew, the first recipe's rows kept beside.
    let log = sweep(&["--lr", "0.002"]);
    assert!(!log.contains("already there"), "{log}");
    let both = rows();
    assert_eq!(both.len(), 6);
    assert!(both.iter().filter(|r| r.contains(",adam lr 0.002 batch 512 width 256 model mlp2 early-stop,")).count() == 3, "{both:?}");
    // A sweep of one series writes the rows in the figure's order, as the report does: the
    // first series' row first, whichever series the sweep trains.
    sweep_of("repeated", &["--values", "0"]);
    let log = sweep(&[]);
    assert!(log.contains("3 of 3 points already there"), "{log}");
    let ordered = rows();
    assert_eq!((ordered.len(), ordered[0].split(',').next()), (7, Some("repeated")), "{ordered:?}");
    assert_eq!(&ordered[1..], &both[..], "{ordered:?}");
    assert!(!cli(&["sweep", "--preset", "noisy-images", "--values", "7", "--out", out]).status.success(), "7 is not a point of the figure");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_sweep_refuses_to_set_for_all_its_series_what_its_figure_compares() {
    let out = std::env::temp_dir().join(format!("lnl-refused-overrides-{}", std::process::id()));
    let out = out.to_str().unwrap();
    for (preset, flag, value, says) in [
        ("clean-size", "--clean", "500", "--clean: the clean-size figure sweeps clean; choose its points with --values"),
        ("batch-size", "--batch", "64", "--batch: the series of the batch-size figure differ in batch (32, 64, 128, 192, 256); choose one with --series"),
        ("learning-rate", "--lr", "0.01", "--lr: the series of the learning-rate figure differ in lr"),
        ("learning-rate", "--optimizer", "sgd", "--optimizer: the series of the learning-rate figure differ in lr (0.00005, 0.0001, 0.0003, 0.001) (--optimizer resets it)"),
    ] {
        let run = cli(&["sweep", "--preset", preset, "--out", out, flag, value]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success() && stderr.contains(says), "{preset} {flag}: {stderr}");
    }
    // One series of them is no comparison: its batch can be set.
    let run =
        cli(&["sweep", "--preset", "batch-size", "--series", "batch 64", "--batch", "128", "--values", "0", "--epochs", "1", "--clean", "500", "--min-samples", "1", "--seeds", "1", "--out", out]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(!std::path::Path::new(out).join("clean-size-quick.csv").exists(), "a refused sweep trains nothing");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_sweep_killed_mid_point_resumes_it_from_its_checkpoint_to_the_same_result() {
    let dir = std::env::temp_dir().join(format!("lnl-checkpoint-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let args = |out: &std::path::Path, every: &str| -> Vec<String> {
        [
            "sweep",
            "--preset",
            "uniform",
            "--scale",
            "quick",
            "--series",
            "mlp1",
            "--values",
            "20",
            "--clean",
            "1000",
            "--epochs",
            "4",
            "--min-samples",
            "1",
            "--seeds",
            "1",
            "--jobs",
            "1",
            "--checkpoint-every",
            every,
            "--out",
            out.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    let accuracy = |out: &std::path::Path| std::fs::read_to_string(out.join("uniform-quick.csv")).unwrap().lines().nth(1).unwrap().split(',').nth(2).unwrap().to_string();

    let whole = dir.join("whole");
    let run = Command::new(env!("CARGO_BIN_EXE_label-noise-lab")).args(args(&whole, "1e9")).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));

    // Killed once its point has saved itself (every 0.1 s), as a session's end or a pre-emption does.
    let stopped = dir.join("stopped");
    let mut child = Command::new(env!("CARGO_BIN_EXE_label-noise-lab")).args(args(&stopped, "0.1")).stderr(std::process::Stdio::null()).spawn().unwrap();
    let checkpoints = stopped.join("uniform-quick.checkpoints");
    let saved = || std::fs::read_dir(&checkpoints).into_iter().flatten().flatten().any(|d| d.path().join("latest").exists());
    let started = std::time::Instant::now();
    while !saved() && started.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(saved(), "no checkpoint within two minutes");
    assert!(!stopped.join("uniform-quick.csv").exists(), "killed before its point finished");

    let run = Command::new(env!("CARGO_BIN_EXE_label-noise-lab")).args(args(&stopped, "1e9")).output().unwrap();
    let log = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{log}");
    assert!(log.contains("resumed at"), "{log}");
    assert_eq!(accuracy(&stopped), accuracy(&whole), "the resumed point is the same run");
    assert!(!checkpoints.exists(), "a finished point's checkpoint is deleted");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_committed_reports_are_what_the_committed_results_give() {
    // REPRODUCTION.md, REPRODUCTION-quick.md and reproduction/*.{csv,svg} are one state: the
    // reports written again from the CSVs (nothing trained) must equal them byte for byte, so a
    // report edited by hand, a result committed without its report, or a preset changed without
    // retraining (its rows become no point's, and drop out) fails here.
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("lnl-committed-{}", std::process::id()));
    let copy = dir.join("reproduction");
    std::fs::create_dir_all(&copy).unwrap();
    let committed: Vec<String> =
        std::fs::read_dir(repo.join("reproduction")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|name| name.ends_with(".csv") || name.ends_with(".svg")).collect();
    assert!(committed.len() >= 32, "every figure's CSV and chart at both scales: {committed:?}");
    for name in &committed {
        std::fs::copy(repo.join("reproduction").join(name), copy.join(name)).unwrap();
    }
    for (scale, doc) in [("full", "REPRODUCTION.md"), ("quick", "REPRODUCTION-quick.md")] {
        let out = Command::new(env!("CARGO_BIN_EXE_label-noise-lab"))
            .args(["report", "--scale", scale, "--no-train", "--out", "reproduction", "--doc", doc])
            .current_dir(&dir)
            .env("MNIST_DIR", "/nonexistent/no-data-needed")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (ours, theirs) = (std::fs::read_to_string(dir.join(doc)).unwrap(), std::fs::read_to_string(repo.join(doc)).unwrap());
        assert!(ours == theirs, "{doc} is not what `report --scale {scale} --no-train` writes from the committed CSVs: regenerate it");
    }
    for name in &committed {
        let (ours, theirs) = (std::fs::read(copy.join(name)).unwrap(), std::fs::read(repo.join("reproduction").join(name)).unwrap());
        assert!(ours == theirs, "reproduction/{name} changes when the report is written again: regenerate and commit it with the reports");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
