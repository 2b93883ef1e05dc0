//! weir-proto stays pure: no async machinery in its source.
//!
//! Its manifest already keeps runtimes and sockets out (its only normal
//! dependencies are bytes and memchr); this test keeps `std::task` and
//! `async` out too, so the crate docs' claim stays true as code is added.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("core/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_async_machinery_in_weir_proto() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() >= 8, "found only {files:?}");
    let forbidden = [
        "std::task",
        "impl Future",
        "dyn Future",
        "Waker",
        "async fn",
        ".await",
    ];
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue; // docs may say what the crate is not
            }
            for word in forbidden {
                if code.contains(word) {
                    found.push(format!("{}:{}: {word}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "weir-proto must stay free of async machinery:\n{}",
        found.join("\n")
    );
}
