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
