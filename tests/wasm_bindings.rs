//! The wasm-bindgen layer, in headless Chromium (`./build.sh test` runs it through chromedriver).
#![cfg(target_arch = "wasm32")]

use label_noise_lab::core::data::PIXELS;
use label_noise_lab::core::packed::{SplitKind, encode};
use label_noise_lab::web::bindings::{Lab, draw_chart, full_scale_spreads, parameters, parse_query, preset, sweep_curves};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn parse_query_gives_a_valid_config_and_notices() {
    let parsed: serde_json::Value = serde_json::from_str(&parse_query("?model=mlp4&alpha=-3&zz=1")).unwrap();
    assert_eq!(parsed["config"]["model"], "mlp4");
    assert_eq!(parsed["config"]["alpha"], 20.0);
    assert_eq!(parsed["notices"].as_array().unwrap().len(), 2);
    // The page builds its controls from this table: every parameter the URL takes, with ranges.
    let table: Vec<serde_json::Value> = serde_json::from_str(&parameters()).unwrap();
    let names: Vec<&str> = table.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), label_noise_lab::params::PARAMETERS.len());
    assert!(["model", "alpha", "noisy-images", "h-alpha", "seed"].iter().all(|n| names.contains(n)), "{names:?}");
    let batch = table.iter().find(|p| p["name"] == "batch").unwrap();
    assert_eq!((batch["kind"].as_str(), batch["min"].as_u64(), batch["max"].as_u64(), batch["default"].as_str()), (Some("integer"), Some(1), Some(4096), Some("128")));
}

#[wasm_bindgen_test]
fn lab_trains_on_packed_chunks_in_the_browser() {
    // A small synthetic dataset: class k images are bright in band k, so a perceptron learns it.
    let images = |n: usize| {
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        let mut pixels = vec![0u8; n * PIXELS];
        for (i, &y) in labels.iter().enumerate() {
            for p in 0..78 {
                pixels[i * PIXELS + y as usize * 78 + p] = 255;
            }
        }
        (labels, pixels)
    };
    let mut lab = Lab::new();
    let (labels, pixels) = images(500);
    lab.add_chunk("mnist", "train", &encode(SplitKind::Train, 0, &labels, &pixels)).unwrap();
    let (labels, pixels) = images(100);
    lab.add_chunk("mnist", "test", &encode(SplitKind::Test, 0, &labels, &pixels)).unwrap();
    assert!(lab.add_chunk("mnist", "broken.lnl.gz", b"LNL1 nope").is_err());
    // Data streams in: a run that needs images which have not arrived yet is refused.
    let err = lab.start("model=perceptron&clean=600&alpha=0", 1000, "live").err().map(|e| String::from(js_sys::Error::from(wasm_bindgen::JsValue::from(e)).message()));
    assert!(err.as_deref().is_some_and(|m| m.contains("needs 1000") && m.contains("500 have loaded")), "{err:?}");
    assert_eq!(Lab::train_images_needed("clean=600&noisy-images=novel&alpha=1", 1000), 1000);
    assert_eq!(lab.train_images_loaded(), 500);
    // 15,000 samples: a live curve's quick points (the first after ~4,600 samples), then the full end.
    lab.start("model=perceptron&clean=500&alpha=0&epochs=30&batch=50", 500, "live").unwrap();
    let mut reports = Vec::new();
    while !lab.is_done() {
        reports.extend(serde_json::from_str::<Vec<serde_json::Value>>(&lab.train_for(50.0, false).unwrap()).unwrap());
    }
    assert!(reports.len() >= 3, "{reports:?}");
    assert_eq!(reports[0]["eval"], "quick");
    assert_eq!(reports.last().unwrap()["eval"], "full");
    assert_eq!(lab.samples_trained(), 15_000);
    // Stepping one epoch stops at the epoch's end.
    lab.start("model=perceptron&clean=500&alpha=0&epochs=3&batch=64", 500, "live").unwrap();
    lab.train_for(60_000.0, true).unwrap();
    assert_eq!((lab.epochs_done(), lab.samples_trained()), (1, 500));
    while !lab.is_done() {
        lab.train_for(50.0, false).unwrap();
    }
    let summary: serde_json::Value = serde_json::from_str(&lab.summary().unwrap()).unwrap();
    assert!(summary["test_accuracy"].as_f64().unwrap() > 0.9, "{}", summary["test_accuracy"]);
    assert_eq!(lab.gallery(4).len(), 4 * (PIXELS + 3));
    // The trained model reads a drawing, shows a confusion cell's images and its templates.
    let (_, test_pixels) = images(10);
    for k in 0..10 {
        let p = lab.classify(&test_pixels[k * PIXELS..(k + 1) * PIXELS]).unwrap();
        let best = (0..10).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
        assert_eq!(best, k, "{p:?}");
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }
    assert!(lab.classify(&[0; 10]).is_err(), "a drawing is 784 pixels");
    let cell = lab.test_examples(3, 3, 4).unwrap();
    assert_eq!(cell.len(), 4 * PIXELS);
    assert_eq!(&cell[..PIXELS], &test_pixels[3 * PIXELS..4 * PIXELS], "the first test image of class 3");
    assert_eq!(lab.input_templates(32).len(), 10 * PIXELS, "the perceptron's ten class templates");
    // The conv nets train in the browser too.
    for model in ["conv2", "conv4"] {
        lab.start(&format!("model={model}&width=32&clean=500&alpha=0&epochs=4&batch=50"), 500, "final").unwrap();
        while !lab.is_done() {
            lab.train_for(50.0, false).unwrap();
        }
        let summary: serde_json::Value = serde_json::from_str(&lab.summary().unwrap()).unwrap();
        assert!(summary["test_accuracy"].as_f64().unwrap() > 0.9, "{model}: {}", summary["test_accuracy"]);
    }
}

#[wasm_bindgen_test]
fn draw_chart_paints_the_canvas() {
    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas").unwrap().dyn_into().unwrap();
    canvas.set_width(400);
    canvas.set_height(300);
    let curves = r#"[{"label":"run","color":[31,119,180],"points":[[0,0.5],[1,0.9]]}]"#;
    let mapping: serde_json::Value = serde_json::from_str(&draw_chart(canvas.clone(), "t", "epoch", "acc", true, 1.0, curves, None, None, None).unwrap()).unwrap();
    let (left, right) = (mapping["pixels_x"][0].as_i64().unwrap(), mapping["pixels_x"][1].as_i64().unwrap());
    assert!(0 < left && left < right && right <= 400, "{mapping}");
    assert!(mapping["x_range"][1].as_f64().unwrap() < 2.0, "{mapping}");
    // A sweep's range (alpha 0..50) widens the axis before its points arrive.
    let wide: serde_json::Value = serde_json::from_str(&draw_chart(canvas.clone(), "t", "alpha", "acc", true, 1.0, curves, Some(0.0), Some(50.0), None).unwrap()).unwrap();
    assert!(wide["x_range"][1].as_f64().unwrap() >= 50.0, "{wide}");
    assert!(wide["x_labels"].as_array().unwrap().iter().any(|l| l == "20"), "alpha ticks are integers: {wide}");
    // A categorical axis is labelled by name at its whole numbers only.
    let names = Some(vec!["perceptron".to_string(), "mlp1".to_string()]);
    let named: serde_json::Value = serde_json::from_str(&draw_chart(canvas, "t", "model", "acc", true, 1.0, curves, Some(0.0), Some(1.0), names).unwrap()).unwrap();
    let shown: Vec<&str> = named["x_labels"].as_array().unwrap().iter().filter_map(|l| l.as_str()).filter(|l| !l.is_empty()).collect();
    assert_eq!(shown, ["perceptron", "mlp1"], "{named}");
    assert!(draw_chart(document.create_element("canvas").unwrap().dyn_into().unwrap(), "t", "x", "y", false, 1.0, "not json", None, None, None).is_err());
}

/// plotters' own browser text measurement appends a `<span>` to the page per label and reads its
/// height, a layout of the whole page each time; the page redraws its charts on every report, so
/// that made the main thread's long tasks. Text is measured on the chart's own canvas instead.
#[wasm_bindgen_test]
fn charts_measure_their_text_without_touching_the_page() {
    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas").unwrap().dyn_into().unwrap();
    canvas.set_width(400);
    canvas.set_height(300);
    let body = document.body().unwrap();
    body.append_child(&canvas).unwrap();
    let observer = web_sys::MutationObserver::new(&js_sys::Function::new_no_args("")).unwrap();
    let options = web_sys::MutationObserverInit::new();
    options.set_child_list(true);
    options.set_subtree(true);
    observer.observe_with_options(&body, &options).unwrap();
    // A legend in a corner and one too big for any corner (it goes below): every text path.
    let corner = r#"[{"label":"run","color":[31,119,180],"points":[[0,0.5],[1,0.9]]},{"label":"paper","color":[0,0,0],"points":[[0.5,0.7]],"paper":true}]"#;
    let crowded: Vec<String> = (0..12).map(|i| format!(r#"{{"label":"a rather long label for run {i}","color":[31,119,180],"points":[[0,0.{i}],[1,0.{i}5]]}}"#)).collect();
    for curves in [corner.to_string(), format!("[{}]", crowded.join(","))] {
        let mapping: serde_json::Value = serde_json::from_str(&draw_chart(canvas.clone(), "a title", "epoch", "acc", true, 1.0, &curves, None, None, None).unwrap()).unwrap();
        assert!(!mapping["y_labels"].as_array().unwrap().is_empty(), "{mapping}");
    }
    let records = observer.take_records();
    observer.disconnect();
    canvas.remove();
    assert_eq!(records.length(), 0, "drawing changed the page's elements {} times", records.length());
}

#[wasm_bindgen_test]
fn figure_points_have_seeds_and_curves_their_mean_and_range() {
    let spec: serde_json::Value = serde_json::from_str(&preset("uniform", "quick", Some(3)).unwrap()).unwrap();
    assert_eq!(spec["points"].as_array().unwrap().len(), 4 * 4 * 3);
    assert_eq!(spec["points"][2]["seed"], 3);
    assert!(spec["points"][2]["query"].as_str().unwrap().contains("seed=3"));
    let one: serde_json::Value = serde_json::from_str(&preset("uniform", "quick", Some(1)).unwrap()).unwrap();
    assert_eq!(one["points"].as_array().unwrap().len(), 16);
    let finished = r#"[{"series":"mlp1","x":20,"seed":1,"test_accuracy":0.90},{"series":"mlp1","x":20,"seed":2,"test_accuracy":0.94},{"series":"mlp1","x":0,"seed":1,"test_accuracy":0.97}]"#;
    let curves: Vec<serde_json::Value> = serde_json::from_str(&sweep_curves("uniform", "quick", finished).unwrap()).unwrap();
    let ours = curves.iter().find(|c| c["label"] == "ours mlp1").unwrap();
    let mean = ours["points"][1][1].as_f64().unwrap();
    assert!(ours["points"].as_array().unwrap().len() == 2 && (mean - 0.92).abs() < 1e-12, "the mean over the seeds: {ours}");
    assert_eq!(ours["bars"], serde_json::json!([[20.0, 0.90, 0.94]]), "one bar, where there are two seeds");
    assert!(curves.iter().any(|c| c["paper"] == true && c["label"].as_str().unwrap().contains("MLP1")));
}

#[wasm_bindgen_test]
fn full_scale_results_are_the_mean_and_range_of_the_figures_own_rows() {
    // Two seeds of one point, a row of another recipe (a recipe search's) and one of a series the
    // figure lacks: the story draws the first two only.
    let csv = "series,alpha,test_accuracy,epochs,train_examples,samples_per_sec,seed,recipe,stop_epoch,last_accuracy
mlp2,0.0,0.97,20,60000,1.0,1,adam lr 0.0003 batch 512 width 256 model mlp2,,
mlp2,0.0,0.99,20,60000,1.0,2,adam lr 0.0003 batch 512 width 256 model mlp2,,
mlp2,0.0,0.10,20,60000,1.0,3,adam lr 0.001 batch 128 width 256 model mlp2,,
mlp9,0.0,0.50,20,60000,1.0,1,adam lr 0.0003 batch 512 width 256 model mlp2,,
";
    let spreads: serde_json::Value = serde_json::from_str(&full_scale_spreads("uniform", csv).unwrap()).unwrap();
    assert_eq!(spreads.as_array().unwrap().len(), 1, "{spreads}");
    let point = &spreads[0];
    assert_eq!((point["series"].as_str(), point["x"].as_f64(), point["runs"].as_u64()), (Some("mlp2"), Some(0.0), Some(2)));
    assert!((point["mean"].as_f64().unwrap() - 0.98).abs() < 1e-12 && point["min"] == 0.97 && point["max"] == 0.99, "{point}");
    assert!(full_scale_spreads("uniform", "not,a,csv").is_err(), "a bad file is an error, not an empty curve");
}
