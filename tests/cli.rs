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
        (vec!["sweep", "--preset", "cifar"], "is not one of uniform, structured"),
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
    let out = Command::new(env!("CARGO_BIN_EXE_label-noise-lab"))
        .args(["run", "--epochs", "1"])
        .env("MNIST_DIR", "/nonexistent/mnist")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/mnist: no train-images-idx3-ubyte"));
}
