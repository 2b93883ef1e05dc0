//! Mutated corpus lines never make the parser or the runner panic, and
//! whatever parses round-trips through the file format.

use proptest::prelude::*;
use weir_conformance::{parse_bytes, parse_file, run, to_jsonl};

fn corpus_lines() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the corpus directory") {
        let text = std::fs::read(entry.expect("an entry").path()).expect("a corpus file");
        lines.extend(
            text.split(|&b| b == b'\n')
                .filter(|l| l.starts_with(b"{"))
                .map(<[u8]>::to_vec),
        );
    }
    lines
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop_oneof![
        Just(b'['),
        Just(b']'),
        Just(b'"'),
        Just(b'-'),
        Just(b'0'),
        Just(b'9'),
        Just(b','),
        Just(b'\\'),
        any::<u8>()
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
    ]
}

proptest! {
    #[test]
    fn mutated_lines_never_panic(pick in any::<usize>(), edits in prop::collection::vec(edit(), 1..6)) {
        let lines = corpus_lines();
        let mut line = lines[pick % lines.len()].clone();
        for e in edits {
            let n = line.len();
            match e {
                Edit::Flip(i, b) if n > 0 => line[i % n] = b,
                Edit::Insert(i, b) => line.insert(i % (n + 1), b),
                Edit::Delete(i) if n > 0 => { line.remove(i % n); }
                _ => {}
            }
        }
        if let Ok(scenarios) = parse_bytes(&line) {
            for s in &scenarios {
                let _ = run(s).to_json();
            }
            prop_assert_eq!(parse_file(&to_jsonl(&scenarios)).unwrap(), scenarios);
        }
    }
}
