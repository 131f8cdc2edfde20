//! The man pages in man/ are generated from the clap definitions, so they
//! cannot drift from `--help`. This test fails when a committed page is
//! stale; `LOGSTATS_UPDATE_MAN=1 cargo test --test man` rewrites them.

use std::path::Path;

use clap::CommandFactory;
use logstats::cli::Cli;

fn render(cmd: clap::Command) -> Vec<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out).unwrap();
    out
}

#[test]
fn man_pages_are_current() {
    let root = Cli::command().name("logstats");
    let report = root
        .find_subcommand("report")
        .unwrap()
        .clone()
        .name("logstats-report");
    let completions = root
        .find_subcommand("completions")
        .unwrap()
        .clone()
        .name("logstats-completions");
    let pages = [
        ("logstats.1", render(root.clone())),
        ("logstats-report.1", render(report)),
        ("logstats-completions.1", render(completions)),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for (name, page) in pages {
        let path = dir.join(name);
        if std::env::var_os("LOGSTATS_UPDATE_MAN").is_some() {
            std::fs::write(&path, &page).unwrap();
            continue;
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == page,
            "{} is stale: run `LOGSTATS_UPDATE_MAN=1 cargo test --test man` and commit it",
            path.display()
        );
    }
}
