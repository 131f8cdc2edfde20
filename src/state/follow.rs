//! Following inputs through a state's cursors: the part of a `--state`
//! run that `report --state` and `check --state` share. Take the lock,
//! load the state and refuse one made with other settings ([`open`]);
//! find which cursor each named input continues, which cursors were lost,
//! and the order to read in ([`plan`]); open each input where its cursor
//! stopped ([`cursor::open_from`]); move the cursor on once its bytes are
//! read ([`State::advance`]); drop the lost cursors ([`State::forget`]).
//! What is done with the bytes read is the caller's.

use std::path::Path;
use std::time::Duration;

use crate::error::Error;
use crate::input::InputPath;
use crate::scan::Counts;
use crate::state::cursor::{self, Cursor, Probe};
use crate::state::file::{self, Lock};
use crate::state::saved::State;
use crate::state::settings::Settings;

/// The setting a state kept by `logstats check` has, and a report's has
/// not: the two keep different figures, and one cannot continue the other.
pub const KEPT_BY: &str = "kept by";

/// One named input and the cursor it continues, if any.
pub struct Planned {
    pub probe: Probe,
    pub name: String,
    /// The index of the cursor it continues, if any.
    pub cursor: Option<usize>,
}

/// What a run does with its inputs.
pub struct Plan {
    pub inputs: Vec<Planned>,
    /// Indexes into `inputs`, in the order to read them: continued inputs
    /// first, oldest first (older lines before newer ones), then new ones
    /// as named.
    pub order: Vec<usize>,
    /// Ids of the cursors whose files are gone: dropped when saved.
    pub lost: Vec<u64>,
    pub warnings: Vec<String>,
}

/// The named files, or a usage error for standard input, which has no
/// place to continue from.
pub fn file_paths(inputs: &[InputPath]) -> Result<Vec<&Path>, Error> {
    inputs
        .iter()
        .map(|i| match i {
            InputPath::File(p) => Ok(p.as_path()),
            InputPath::Stdin => Err(Error::Usage(
                "--state follows log files by their content: name them (standard input has no place to continue from)"
                    .into(),
            )),
        })
        .collect()
}

/// Takes the lock of the state at `path` (waiting up to `wait`) and loads
/// it, or starts a new one with `settings` (at Unix time `now`). A state
/// made with other settings is refused, naming the differences.
pub fn open(
    path: &Path,
    settings: Settings,
    wait: Duration,
    now: i64,
) -> Result<(Lock, State), Error> {
    let lock = file::lock(path, wait)?;
    let state = match State::load(path)? {
        Some(state) => {
            refuse_other_settings(path, &state.settings, &settings)?;
            state
        }
        None => State::new(settings, now),
    };
    Ok((lock, state))
}

fn refuse_other_settings(path: &Path, saved: &Settings, now: &Settings) -> Result<(), Error> {
    let refuse = |message: String| {
        Err(Error::State {
            path: path.display().to_string(),
            message,
        })
    };
    let kept_by = |s: &Settings| {
        (s.0.iter())
            .find(|(n, _)| n == KEPT_BY)
            .map(|(_, v)| v.clone())
    };
    let (was, is) = (kept_by(saved), kept_by(now));
    if was != is {
        let who = |w: &Option<String>| {
            w.clone()
                .unwrap_or_else(|| "logstats report --state".into())
        };
        return refuse(format!(
            "it is the state of {}, and this run is {}: the two keep different figures, \
             and one cannot continue the other; give each its own state file",
            who(&was),
            who(&is)
        ));
    }
    let differences = saved.differences(now);
    if differences.is_empty() {
        return Ok(());
    }
    refuse(format!(
        "it was made with other settings, and its figures cannot be added to figures of another kind: {}. \
         Run with the settings it was made with, or start over: move it away (mv {1} {1}.old) and run again, \
         which counts the inputs from their start",
        differences.join("; "),
        path.display()
    ))
}

/// Probes each named input, gives it the cursor it continues, finds the
/// cursors lost, and the order to read in.
pub fn plan(state: &State, paths: &[&Path]) -> Result<Plan, Error> {
    let mut inputs = Vec::with_capacity(paths.len());
    for p in paths {
        let probe = cursor::probe(p).map_err(|e| Error::input(p, &e))?;
        inputs.push(Planned {
            name: p.display().to_string(),
            probe,
            cursor: None,
        });
    }
    match_cursors(state, &mut inputs);
    let (warnings, lost) = lost_cursors(state, &inputs);
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| match inputs[i].cursor {
        Some(c) => (0, state.cursors[c].id, i),
        None => (1, 0, i),
    });
    Ok(Plan {
        inputs,
        order,
        lost,
        warnings,
    })
}

/// What was read of one input, to move its cursor on.
pub struct Read<'a> {
    /// Bytes of log text read from where the cursor stood (whole lines of
    /// a plain file; all of a compressed one).
    pub bytes: u64,
    /// A compressed input read to its end.
    pub finished: bool,
    /// The name of the layout it was read with.
    pub format: &'a str,
    pub counts: &'a Counts,
}

impl State {
    /// Moves the cursor of `plan` on by what was read (a new cursor for a
    /// new input); returns its index.
    pub fn advance(&mut self, plan: &Planned, read: &Read<'_>) -> usize {
        let c = match plan.cursor {
            Some(c) => c,
            None => {
                self.cursors.push(Cursor {
                    id: self.next_cursor,
                    path: plan.name.clone(),
                    first_path: plan.name.clone(),
                    head_len: 0,
                    head_hash: 0,
                    offset: 0,
                    seen: 0,
                    gzip: plan.probe.gzip,
                    finished: false,
                    dev: plan.probe.dev,
                    ino: plan.probe.ino,
                    format: read.format.to_string(),
                    counts: Default::default(),
                });
                self.next_cursor += 1;
                self.cursors.len() - 1
            }
        };
        let key = self.key;
        let c_index = c;
        let c = &mut self.cursors[c];
        c.path = plan.name.clone();
        c.offset += read.bytes;
        c.seen = if plan.probe.gzip {
            c.offset
        } else {
            plan.probe.len.max(c.offset)
        };
        c.gzip = plan.probe.gzip;
        c.finished = read.finished;
        (c.dev, c.ino) = (plan.probe.dev, plan.probe.ino);
        c.format = read.format.to_string();
        c.counts.merge(read.counts);
        c.refingerprint(key, &plan.probe);
        c_index
    }

    /// Drops the cursors that fingerprint nothing (of empty files) and
    /// those `lost`.
    pub fn forget(&mut self, lost: &[u64]) {
        self.cursors
            .retain(|c| c.head_len > 0 && !lost.contains(&c.id));
    }
}

/// Gives each input the cursor whose fingerprint its start matches (the
/// longest fingerprint first; a cursor goes to one input). A plain input
/// shorter than what its cursor counted was truncated and written anew:
/// it is new.
fn match_cursors(state: &State, planned: &mut [Planned]) {
    let mut taken = vec![false; state.cursors.len()];
    for plan in planned.iter_mut() {
        let best = (0..state.cursors.len())
            .filter(|&c| !taken[c])
            .filter(|&c| {
                let cursor = &state.cursors[c];
                cursor.matches(state.key, &plan.probe)
                    && (plan.probe.gzip || plan.probe.len >= cursor.offset)
            })
            .max_by_key(|&c| {
                let cursor = &state.cursors[c];
                (
                    cursor.head_len,
                    (cursor.dev, cursor.ino) == (plan.probe.dev, plan.probe.ino),
                    cursor.id,
                )
            });
        if let Some(c) = best {
            taken[c] = true;
            plan.cursor = Some(c);
        }
    }
}

/// Cursors no input continued: kept while their file is still where it
/// was (it was not named this time) or was renamed beside it; else
/// dropped, with a warning when lines of it were never read. Returns the
/// warnings and the ids of the cursors to drop.
fn lost_cursors(state: &State, planned: &[Planned]) -> (Vec<String>, Vec<u64>) {
    let used: Vec<usize> = planned.iter().filter_map(|p| p.cursor).collect();
    let mut warnings = Vec::new();
    let key = state.key;
    let mut lost = Vec::new();
    for (i, c) in state.cursors.iter().enumerate() {
        if used.contains(&i) {
            continue;
        }
        let path = Path::new(&c.path);
        let in_place = cursor::probe(path).is_ok_and(|p| c.matches(key, &p));
        if in_place {
            continue;
        }
        if c.gzip && c.finished {
            lost.push(c.id);
            continue;
        }
        let renamed = cursor::renamed(path, c.dev, c.ino)
            .filter(|(now, _)| cursor::probe(now).is_ok_and(|p| c.matches(key, &p)));
        match renamed {
            Some((now, len)) if len > c.offset => {
                warnings.push(format!(
                    "{}: rotated to {} (not among the inputs), where {} bytes written since were not read; \
                     name the rotated files too (e.g. {}*) so that they are",
                    c.path,
                    now.display(),
                    len - c.offset,
                    c.path
                ));
            }
            Some(_) => {}
            None => {
                lost.push(c.id);
                let unread = c.seen.saturating_sub(c.offset);
                warnings.push(format!(
                    "{}: the file read up to byte {} by an earlier run is gone (rotated or deleted) and is not among the inputs; \
                     {} bytes of it seen then were never read, nor whatever was written to it after that run; \
                     name the rotated files too (e.g. {}*) so that nothing is lost",
                    c.path, c.offset, unread, c.path
                ));
            }
        }
    }
    (warnings, lost)
}
