//! Lines parsed with their quotes taken from the marks of
//! `logstats::input::lines` must come out exactly as lines parsed by searching for
//! each quote: on every line of the corpus logs and the fixtures, in each
//! layout that uses marks, and on hand-made lines that put quotes and
//! backslashes where a parser could be fooled.

use std::path::{Path, PathBuf};

use logstats::input::lines::MarkedLines;
use logstats::parse::Format;

const LAYOUTS: [Format; 3] = [Format::Combined, Format::VCombined, Format::Common];

/// Cuts `text` into lines with marks and checks each parse against the
/// plain one. Returns (lines, lines with marks, lines that parsed).
fn check(text: &[u8], name: &str) -> (usize, usize, usize) {
    let (mut lines, mut with_marks, mut parsed) = (0, 0, 0);
    let plain: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    let mut cut = MarkedLines::new(text);
    while let Some(line) = cut.next_line() {
        assert_eq!(line.text, plain[lines], "{name}: line {}", lines + 1);
        lines += 1;
        let Some(quotes) = line.quotes else {
            continue;
        };
        with_marks += 1;
        for format in LAYOUTS {
            let marked = format.parse_with(line.text, &mut { quotes });
            let searched = format.parse(line.text);
            assert_eq!(marked, searched, "{name}: line {lines} as {format}");
            // The path's end, taken from the marks, is no part of equality.
            if let (Some(m), Some(s)) = (&marked, &searched) {
                let target = s.request.target();
                let cut = target.iter().position(|b| b"?#".contains(b));
                let path = &target[..cut.unwrap_or(target.len())];
                assert_eq!(m.request.path(), path, "{name}: line {lines} as {format}");
                assert_eq!(s.request.path(), path, "{name}: line {lines} as {format}");
            }
            parsed += usize::from(searched.is_some());
        }
    }
    (lines, with_marks, parsed)
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|f| f.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn corpus_and_fixture_lines_parse_alike_with_marks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/corpus/logs");
    let mut files: Vec<PathBuf> = files_in(&corpus)
        .into_iter()
        .chain(
            std::fs::read_dir(&corpus)
                .unwrap()
                .flat_map(|d| files_in(&d.unwrap().path())),
        )
        .collect();
    files.extend(
        files_in(&root.join("fixtures"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "log")),
    );
    let (mut lines, mut with_marks, mut parsed) = (0, 0, 0);
    for file in &files {
        let text = std::fs::read(file).unwrap();
        let (l, m, p) = check(&text, &file.display().to_string());
        lines += l;
        with_marks += m;
        parsed += p;
    }
    // Enough real lines went the marked way, and parsed, to mean something.
    // (11,000 lines, of which 15 hold a backslash, when this was written.)
    assert!(lines > 10_000, "{lines} lines");
    assert!(with_marks > 10_000, "{with_marks} of {lines} lines marked");
    assert!(parsed > 9_000, "{parsed} parses");
}

#[test]
fn tricky_lines_parse_alike_with_marks() {
    let lines: &[&str] = &[
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "-" "UA""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "http://r/" "UA" extra"#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "-" "UA"x"#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "-""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "-" "UA"#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5"#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /"a" HTTP/1.1" 200 5 "-" "UA""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /\"a HTTP/1.1" 200 5 "-" "UA""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "-" "say \"hi\"""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "" 400 0 "-" "-""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "-" 400 0 "" """#,
        r#""1.2.3.4, 5.6.7.8" - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "-" "UA""#,
        r#""1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "-" "UA""#,
        r#"1.2.3.4 - "bob" [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "-" "UA""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 "+0200] "GET /a HTTP/1.1" 200 5 "-" "UA""#,
        r#"example.com:443 1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "-" "UA""#,
        r#"ex"ample.com 1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 5 "-" "UA""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 -"#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a HTTP/1.1" 200 - "" "ua \\" "#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a?b=1#c HTTP/1.1" 200 5 "http://r/?q=1" "UA#1?""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a#b?c HTTP/1.1" 200 5 "-" "-""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET ?x HTTP/1.1" 200 5 "-" "-""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a? HTTP/1.1?" 200 5 "-" "-""#,
        r##"1.2.3.4 - u?# [01/May/2024:10:00:00 +0200] "GET /plain HTTP/1.1" 200 5 "#?" "?""##,
        r#"ex?ample.com 1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /p HTTP/1.1" 200 5 "-" "-""#,
        r#"1.2.3.4 - - [01/May/2024:10:00:00 +0200] "GET /a?b HTTP/1.1" 200 5"#,
        r#"""""""""""#,
        "",
        "\"",
    ];
    let text = lines.join("\r\n");
    let (cut, with_marks, parsed) = check(text.as_bytes(), "tricky lines");
    assert_eq!(cut, lines.len());
    // The lines with a backslash are searched for, not marked.
    assert_eq!(with_marks, lines.len() - 3);
    assert!(parsed >= 10, "{parsed} parses");
}
