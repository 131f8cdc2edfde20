//! How logstats sits in a shell beside other tools: completion scripts and
//! colour that follows the terminal, `--color` and `NO_COLOR`.

mod common;

use common::logstats;

#[test]
fn completion_scripts_know_the_subcommands_and_flags() {
    for shell in ["bash", "zsh", "fish"] {
        let out = logstats().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {:?}", out);
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(!script.is_empty(), "{shell}: empty script");
        for word in ["report", "log-format"] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
    }
    let out = logstats().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

fn table(args: &[&str], no_color: Option<&str>) -> String {
    let mut cmd = logstats();
    cmd.args(["report", common::fixture("access.log").to_str().unwrap()])
        .args(args)
        .env_remove("NO_COLOR");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let always = table(&["--color", "always"], None);
    assert!(
        always.contains("\x1b[1m"),
        "--color always styles:\n{always}"
    );
    assert!(
        table(&["--color", "always"], Some("1")).contains('\x1b'),
        "always wins over NO_COLOR"
    );
    // The tests' standard output is a pipe: auto means no colour.
    for (args, no_color) in [
        (&["--color", "never"][..], None),
        (&[][..], None),
        (&["--color", "auto"][..], Some("1")),
    ] {
        let plain = table(args, no_color);
        assert!(!plain.contains('\x1b'), "{args:?} {no_color:?}:\n{plain}");
    }
    // Styling adds sequences and nothing else.
    let stripped = always.replace("\x1b[1m", "").replace("\x1b[0m", "");
    assert_eq!(stripped, table(&["--color", "never"], None));
}

#[test]
fn json_and_csv_are_never_coloured() {
    for format in ["json", "csv"] {
        let out = table(&["--color", "always", "--format", format], None);
        assert!(!out.contains('\x1b'), "{format}");
    }
}

#[test]
fn colour_does_not_let_log_text_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("hostile.log");
    std::fs::write(
        &log,
        b"1.2.3.4 - - [01/May/2024:10:00:00 +0000] \"GET /a\x1b]0;pwned\x07x HTTP/1.1\" 404 5 \"http://evil.example/\x1b[2J\" \"Bot\x1b[31m\"\n",
    )
    .unwrap();
    let out = logstats()
        .args(["report", log.to_str().unwrap(), "--color", "always"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    // Every ESC is one of logstats' own two sequences.
    for (i, _) in stdout.match_indices('\x1b') {
        let rest = &stdout[i..];
        assert!(
            rest.starts_with("\x1b[1m") || rest.starts_with("\x1b[0m"),
            "foreign escape at {i}: {:?}",
            &rest[..rest.len().min(12)]
        );
    }
    assert!(stdout.contains(r"/a\x1b]0;pwned\x07x"), "{stdout}");
}
