//! The whiteboard's picture commands on Tauri's mock runtime with the real node: a picture
//! placed by path and one from bytes, listed, moved, read back for an export and erased;
//! refusals by name. (Drawing, dragging, dropping and the pictures' protocol need the real
//! window: `tests/board_pictures.rs`.)

use serde_json::{json, Value};

#[path = "support/mock.rs"]
mod mock;
use mock::{app, err, ok, App};

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn pictures(w: &tauri::WebviewWindow<tauri::test::MockRuntime>, space: &str) -> Vec<Value> {
    ok(w, "board_pictures", json!({"space": space}))
        .as_array()
        .cloned()
        .unwrap()
}

#[test]
fn pictures_placed_listed_moved_exported_and_erased() {
    let App {
        app: _app,
        window: w,
        _dir,
    } = app();
    let board = ok(&w, "create_space", json!({"kind": "board", "name": "Sketches"}));
    let space = board["space"].as_str().unwrap().to_string();
    let file = _dir.path().join("harbour.png");
    let bytes = png(800, 400);
    std::fs::write(&file, &bytes).unwrap();

    // From a path (the open dialog, a file dropped on the window), at its own size scaled down.
    let placed = ok(
        &w,
        "board_picture",
        json!({"space": space, "path": file.display().to_string(), "at": [10.5, -20], "size": null}),
    );
    let id = placed["id"].as_str().unwrap().to_string();
    // From bytes (dropped from a page, pasted), at the size given.
    let small = png(64, 48);
    ok(
        &w,
        "board_picture_bytes",
        json!({"space": space, "name": "pasted.png", "data": data_encoding::BASE64.encode(&small),
               "at": [600, 0], "size": [128, 96]}),
    );
    let list = pictures(&w, &space);
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["name"], "harbour.png");
    assert_eq!(list[0]["held"], true);
    assert_eq!(list[0]["me"], true);
    assert_eq!(list[0]["dims"], json!([800, 400]));
    assert_eq!(
        list[0]["rect"],
        json!({"x": 10.5, "y": -20.0, "w": 480.0, "h": 240.0})
    );
    assert_eq!(list[1]["name"], "pasted.png");
    assert_eq!(
        list[1]["rect"],
        json!({"x": 600.0, "y": 0.0, "w": 128.0, "h": 96.0})
    );

    // Moved and resized.
    let to = json!({"x": 0.0, "y": 0.0, "w": 240.0, "h": 120.0});
    ok(
        &w,
        "board_move",
        json!({"space": space, "picture": id, "rect": to}),
    );
    let list = pictures(&w, &space);
    assert_eq!(list[0]["rect"], to);
    assert!(list[0]["moved_by"].as_str().unwrap().starts_with("12D3KooW"));

    // Read back for an export: the whole picture, or its preview.
    let whole = ok(
        &w,
        "picture_data",
        json!({"blob": list[0]["blob"], "thumb": false}),
    );
    assert_eq!(whole["mime"], "image/png");
    assert_eq!(
        data_encoding::BASE64
            .decode(whole["data"].as_str().unwrap().as_bytes())
            .unwrap(),
        bytes
    );
    let thumb = ok(
        &w,
        "picture_data",
        json!({"blob": list[0]["blob"], "thumb": true}),
    );
    assert_eq!(thumb["mime"], "image/jpeg");
    let none = ok(
        &w,
        "picture_data",
        json!({"blob": "ab".repeat(32), "thumb": false}),
    );
    assert!(none.is_null(), "{none}");

    // Refusals, named; nothing placed.
    let notes = _dir.path().join("notes.txt");
    std::fs::write(&notes, "tides").unwrap();
    let e = err(
        &w,
        "board_picture",
        json!({"space": space, "path": notes.display().to_string(), "at": [0, 0], "size": null}),
    );
    assert!(e.to_string().contains("not a picture the board shows"), "{e}");
    let e = err(
        &w,
        "board_picture_bytes",
        json!({"space": space, "name": "x.png", "data": "not base64!", "at": [0, 0], "size": null}),
    );
    assert!(e.to_string().contains("not base64"), "{e}");
    let e = err(
        &w,
        "board_move",
        json!({"space": space, "picture": id, "rect": {"x": 0, "y": 0, "w": 0, "h": 10}}),
    );
    assert!(e.to_string().contains("not above 0"), "{e}");
    assert_eq!(pictures(&w, &space).len(), 2);

    // Erased like a stroke.
    ok(&w, "board_erase", json!({"space": space, "strokes": [id]}));
    let list = pictures(&w, &space);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "pasted.png");
}
