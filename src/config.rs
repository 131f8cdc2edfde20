//! The configuration file: the settings a site always uses, so that a cron
//! line or a shell history need not repeat them.
//!
//! ```toml
//! site = ["example.com", "www.example.com"]
//! geoip = "/usr/share/GeoIP/GeoLite2-Country.mmdb"
//! exclude_ip = ["10.0.0.0/8", "@/etc/logstats/office-ips.txt"]
//! log_format = "vcombined"
//! tz = "Europe/Paris"
//!
//! [goals]
//! signup = "POST /accounts/signup 3xx"
//!
//! [funnels]
//! checkout = ["/cart", "/checkout", "signup"]
//! ```
//!
//! It is `--config FILE`, else `$XDG_CONFIG_HOME/logstats/config.toml`,
//! else `~/.config/logstats/config.toml`. A flag given on the command line
//! replaces the key's value, lists included; environment variables
//! (`$LOGSTATS_LOG_FORMAT`, `$LOGSTATS_GEOIP`) also win over the file, as
//! they are set for a shell or a unit while the file serves every run.
//! Values are read by the same parsers as the flags, and an unknown key or
//! a bad value stops the run naming the file and the key.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::de::DeserializeOwned;
use toml::{Table, Value};

use crate::enrich::zone::ReportZone;
use crate::error::Error;
use crate::filter::IpList;
use crate::goals::{FunnelDef, GoalDef};
use crate::parse::Format;

/// The keys a configuration file may hold.
pub const KEYS: [&str; 7] = [
    "site",
    "geoip",
    "exclude_ip",
    "log_format",
    "tz",
    "goals",
    "funnels",
];

/// What a configuration file says; every key is optional.
#[derive(Debug, Default)]
pub struct Config {
    /// The file read, if any.
    pub path: Option<PathBuf>,
    pub site: Option<Vec<String>>,
    /// Relative paths are taken from the file's directory.
    pub geoip: Option<PathBuf>,
    pub exclude_ip: Option<Vec<IpNet>>,
    pub log_format: Option<Format>,
    pub tz: Option<ReportZone>,
    /// The `[goals]` table, in the order written.
    pub goals: Option<Vec<GoalDef>>,
    /// The `[funnels]` table, in the order written.
    pub funnels: Option<Vec<FunnelDef>>,
}

/// Reads `--config FILE` (which must exist), else the default file (which
/// may be missing: then the configuration is empty).
pub fn load(explicit: Option<&Path>) -> Result<Config, Error> {
    match explicit {
        Some(path) => read(path, true),
        None => match default_path(
            std::env::var_os("XDG_CONFIG_HOME"),
            std::env::var_os("HOME"),
        ) {
            Some(path) => read(&path, false),
            None => Ok(Config::default()),
        },
    }
}

/// `$XDG_CONFIG_HOME/logstats/config.toml`, else (when it is unset, empty
/// or relative, which the XDG specification says to ignore)
/// `$HOME/.config/logstats/config.toml`.
pub fn default_path(xdg_config_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let base = match xdg_config_home.map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        _ => PathBuf::from(home.filter(|h| !h.is_empty())?).join(".config"),
    };
    Some(base.join("logstats").join("config.toml"))
}

fn read(path: &Path, must_exist: bool) -> Result<Config, Error> {
    let fail = |message: String| Error::Config {
        path: path.display().to_string(),
        message,
    };
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| fail("it is not UTF-8 text, as TOML must be".into()))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound && !must_exist => {
            return Ok(Config::default())
        }
        Err(e) => {
            return Err(fail(match e.kind() {
                io::ErrorKind::NotFound => "no such file; check the path given to --config".into(),
                io::ErrorKind::PermissionDenied => "permission denied".into(),
                io::ErrorKind::IsADirectory => "it is a directory".into(),
                _ => e.to_string(),
            }))
        }
    };
    parse(&text, path)
}

/// Reads the text of a configuration file; `path` names it in errors and
/// is where relative paths in it start from.
pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
    let fail = |message: String| Error::Config {
        path: path.display().to_string(),
        message,
    };
    let table: Table = toml::from_str(text).map_err(|e| fail(e.to_string().trim_end().into()))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut config = Config {
        path: Some(path.to_path_buf()),
        ..Config::default()
    };
    for (key, value) in table {
        let bad = |message: String| fail(format!("key '{key}': {message}"));
        match key.as_str() {
            "site" => config.site = Some(strings(value, "site = [\"example.com\"]").map_err(bad)?),
            "geoip" => {
                let file: String = typed(
                    value,
                    "a file name, like geoip = \"/usr/share/GeoIP/GeoLite2-Country.mmdb\"",
                )
                .map_err(bad)?;
                if file.is_empty() {
                    return Err(bad(
                        "an empty file name; remove the key to use the usual paths".into(),
                    ));
                }
                config.geoip = Some(dir.join(file));
            }
            "exclude_ip" => {
                let mut nets = Vec::new();
                for entry in
                    strings(value, "exclude_ip = [\"10.0.0.0/8\", \"@ips.txt\"]").map_err(bad)?
                {
                    // `@FILE` beside the configuration, like `geoip`.
                    let list = match entry.strip_prefix('@') {
                        Some(file) => IpList::read(&dir.join(file)),
                        None => IpList::parse(&entry),
                    };
                    nets.extend(list.map_err(bad)?.0);
                }
                config.exclude_ip = Some(nets);
            }
            "log_format" => {
                let text: String = typed(
                    value,
                    "a layout name or pattern, like log_format = \"combined\"",
                )
                .map_err(bad)?;
                config.log_format = Some(Format::from_arg(&text).map_err(|e| bad(e.to_string()))?);
            }
            "tz" => {
                let text: String = typed(
                    value,
                    "a zone, like tz = \"Europe/Paris\" or tz = \"+02:00\"",
                )
                .map_err(bad)?;
                config.tz = Some(ReportZone::parse(&text).map_err(bad)?);
            }
            // Read with their lines below.
            "goals" | "funnels" => {}
            _ => {
                return Err(fail(format!(
                    "unknown key '{key}'; the keys are {}",
                    KEYS.join(", ")
                )))
            }
        }
    }
    (config.goals, config.funnels) = crate::goals::config::read(text, path)?;
    Ok(config)
}

/// A value of one type, or what was expected instead.
fn typed<T: DeserializeOwned>(value: Value, expected: &str) -> Result<T, String> {
    let found = value.type_str();
    let article = if found.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    value
        .try_into()
        .map_err(|_| format!("expected {expected}, found {article} {found}"))
}

/// A list of strings; one string alone is a list of one.
fn strings(value: Value, example: &str) -> Result<Vec<String>, String> {
    if let Value::String(s) = value {
        return Ok(vec![s]);
    }
    typed(value, &format!("a list of strings, like {example}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_at(text: &str) -> Result<Config, String> {
        parse(text, Path::new("/etc/logstats/config.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn every_key() {
        let c = parse_at(
            r#"
            site = ["example.com", "www.example.com"]
            geoip = "GeoLite2-Country.mmdb"
            exclude_ip = ["10.0.0.0/8", "2001:db8::1"]
            log_format = "vcombined"
            tz = "Europe/Paris"
            "#,
        )
        .unwrap();
        assert_eq!(c.site.unwrap(), ["example.com", "www.example.com"]);
        assert_eq!(
            c.geoip.unwrap(),
            Path::new("/etc/logstats/GeoLite2-Country.mmdb")
        );
        let nets: Vec<String> = c
            .exclude_ip
            .unwrap()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(nets, ["10.0.0.0/8", "2001:db8::1/128"]);
        assert_eq!(c.log_format, Some(Format::VCombined));
        assert_eq!(c.tz.unwrap().to_string(), "Europe/Paris");
        // One string is a list of one; an empty file sets nothing.
        assert_eq!(
            parse_at("site = \"example.com\"").unwrap().site.unwrap(),
            ["example.com"]
        );
        let empty = parse_at("# nothing yet\n").unwrap();
        assert!(empty.site.is_none() && empty.tz.is_none() && empty.geoip.is_none());
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        for (text, key, says) in [
            (
                "color = true",
                "'color'",
                "the keys are site, geoip, exclude_ip, log_format, tz, goals, funnels",
            ),
            ("tz = \"Mars/Olympus\"", "'tz'", "time zone name"),
            ("tz = 2", "'tz'", "found an integer"),
            ("site = [1, 2]", "'site'", "a list of strings"),
            (
                "exclude_ip = [\"10.0.0.0/33\"]",
                "'exclude_ip'",
                "not an IP address or network",
            ),
            ("log_format = \"%h %Q\"", "'log_format'", "%Q"),
            ("geoip = \"\"", "'geoip'", "empty file name"),
            ("[report]\ntz = \"UTC\"", "'report'", "unknown key"),
        ] {
            let e = parse_at(text).unwrap_err();
            assert!(
                e.contains("/etc/logstats/config.toml") && e.contains(key) && e.contains(says),
                "{text}: {e}"
            );
        }
        let e = parse_at("site = [").unwrap_err();
        assert!(
            e.contains("/etc/logstats/config.toml") && e.contains("line 1"),
            "{e}"
        );
    }

    #[test]
    fn ip_files_are_found_beside_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ips.txt"),
            "192.0.2.0/24\n# office\n\nbad one\n",
        )
        .unwrap();
        let e = parse(
            "exclude_ip = [\"@ips.txt\"]",
            &dir.path().join("config.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("key 'exclude_ip'")
                && e.contains(&format!("{}:4:", dir.path().join("ips.txt").display())),
            "{e}"
        );
    }

    #[test]
    fn where_the_default_file_is() {
        let p =
            |x: Option<&str>, h: Option<&str>| default_path(x.map(Into::into), h.map(Into::into));
        assert_eq!(
            p(Some("/x"), Some("/home/a")).unwrap(),
            Path::new("/x/logstats/config.toml")
        );
        assert_eq!(
            p(Some("relative"), Some("/home/a")).unwrap(),
            Path::new("/home/a/.config/logstats/config.toml")
        );
        assert_eq!(
            p(Some(""), Some("/home/a")).unwrap(),
            Path::new("/home/a/.config/logstats/config.toml")
        );
        assert_eq!(p(None, None), None);
    }

    #[test]
    fn a_missing_default_file_is_fine_a_missing_named_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("config.toml");
        assert!(read(&absent, false).unwrap().path.is_none());
        let e = read(&absent, true).unwrap_err();
        assert!(
            e.to_string().contains("--config") && e.exit_code() == 2,
            "{e}"
        );
    }
}
