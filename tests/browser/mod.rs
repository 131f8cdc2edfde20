//! Headless Chromium driven through the DevTools protocol over a pipe
//! (`--remote-debugging-pipe`: commands on its fd 3, replies on fd 4, each
//! a JSON message ended by a NUL byte), so the tests need no WebSocket
//! client, no port and no driver: only Debian's `chromium`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long one command or awaited event may take before the test fails.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The browser to run: `$LOGSTATS_CHROMIUM`, else the first of the usual
/// names on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LOGSTATS_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    crate::common::on_path(&[
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ])
}

/// The browser, or `None` with a line saying why the test is skipped. In
/// CI (`$CI` set) a missing browser fails the test instead: there it is
/// installed by `.ci/run`.
pub fn browser_or_skip() -> Option<Browser> {
    let exe = find_chromium();
    crate::common::present_or_skip(exe.is_some(), "chromium", "apt-get install chromium");
    exe.map(|exe| Browser::launch(&exe))
}

pub struct Browser {
    child: Child,
    commands: ChildStdin,
    replies: Receiver<Value>,
    next_id: u64,
    /// Events received so far, in order, with their session.
    pub events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub fn launch(exe: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        // The shell gives the pipe ends the descriptors Chromium expects:
        // our stdin becomes its fd 3, our stdout its fd 4.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg(exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let commands = child.stdin.take().unwrap();
        let mut replies_in = BufReader::new(child.stdout.take().unwrap());
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || loop {
            let mut message = Vec::new();
            match replies_in.read_until(0, &mut message) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    message.pop();
                    let Ok(value) = serde_json::from_slice::<Value>(&message) else {
                        return;
                    };
                    if tx.send(value).is_err() {
                        return;
                    }
                }
            }
        });
        Browser {
            child,
            commands,
            replies,
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        }
    }

    fn receive(&mut self, deadline: Instant, what: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.replies.recv_timeout(left) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => {
                panic!("chromium: no answer to {what} in {TIMEOUT:?}")
            }
            Err(RecvTimeoutError::Disconnected) => panic!("chromium closed the pipe during {what}"),
        }
    }

    /// Sends a command (to the browser, or to a page's session) and
    /// returns its result; events that arrive meanwhile are kept.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.commands.write_all(&bytes).unwrap();
        self.commands.flush().unwrap();
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let v = self.receive(deadline, method);
            if v["id"] == json!(id) {
                if let Some(e) = v.get("error") {
                    panic!("{method}: {e}");
                }
                return v["result"].clone();
            }
            self.events.push(v);
        }
    }

    /// Waits for an event `method` of `session` not seen before, and
    /// returns it.
    pub fn wait_event(&mut self, session: &str, method: &str) -> Value {
        let seen = |e: &Value| e["method"] == method && e["sessionId"] == session;
        if let Some(at) = self.events.iter().position(seen) {
            return self.events.remove(at);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let v = self.receive(deadline, method);
            if seen(&v) {
                return v;
            }
            self.events.push(v);
        }
    }

    /// A new tab of `width` CSS pixels, its console, network and log
    /// watched; with `dark`, the page sees `prefers-color-scheme: dark`;
    /// without `script`, JavaScript is off.
    pub fn open(&mut self, url: &str, width: u32, dark: bool, script: bool) -> Tab {
        let target = self.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().unwrap().to_string();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        let session = attached["sessionId"].as_str().unwrap().to_string();
        let s = Some(session.as_str());
        for domain in ["Page", "Runtime", "Log", "Network"] {
            self.call(s, &format!("{domain}.enable"), json!({}));
        }
        self.call(
            s,
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        );
        let scheme = if dark { "dark" } else { "light" };
        self.call(
            s,
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        );
        if !script {
            self.call(
                s,
                "Emulation.setScriptExecutionDisabled",
                json!({"value": true}),
            );
        }
        self.call(s, "Page.navigate", json!({"url": url}));
        self.wait_event(&session, "Page.loadEventFired");
        Tab { session, target_id }
    }

    /// The value of a JavaScript expression in the tab (DevTools evaluates
    /// it even where the page's own script is off).
    pub fn eval(&mut self, tab: &Tab, expression: &str) -> Value {
        let r = self.call(
            Some(&tab.session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("evaluating {expression}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// A PNG of the top `height` CSS pixels of the page, at the tab's width.
    pub fn screenshot(&mut self, tab: &Tab, width: u32, height: u32) -> Vec<u8> {
        let clip = json!({"x": 0, "y": 0, "width": width, "height": height, "scale": 1});
        let r = self.call(
            Some(&tab.session),
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true, "clip": clip}),
        );
        use base64::Engine;
        let png = r["data"].as_str().unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(png)
            .unwrap()
    }

    /// A mouse event at a point of the viewport: `mouseMoved`,
    /// `mousePressed` or `mouseReleased`, with the left button held
    /// (`pressed`) or not.
    pub fn mouse(&mut self, tab: &Tab, kind: &str, x: f64, y: f64, pressed: bool) {
        let buttons = if pressed { 1 } else { 0 };
        let button = if kind == "mouseMoved" && !pressed {
            "none"
        } else {
            "left"
        };
        self.call(
            Some(&tab.session),
            "Input.dispatchMouseEvent",
            json!({"type": kind, "x": x, "y": y, "button": button, "buttons": buttons, "clickCount": 1}),
        );
    }

    /// Events of the tab that a clean page has none of: console messages,
    /// uncaught exceptions, log entries (a blocked load, a CSP report),
    /// and requests for anything but the page itself.
    pub fn complaints(&mut self, tab: &Tab, page_url: &str) -> Vec<Value> {
        // A round trip, so that events sent before it have arrived.
        self.eval(tab, "1");
        self.events
            .iter()
            .filter(|e| e["sessionId"] == tab.session.as_str())
            .filter(|e| match e["method"].as_str().unwrap_or("") {
                "Runtime.consoleAPICalled" | "Runtime.exceptionThrown" | "Log.entryAdded" => true,
                "Network.requestWillBeSent" => e["params"]["request"]["url"] != page_url,
                "Network.loadingFailed" => true,
                _ => false,
            })
            .cloned()
            .collect()
    }

    pub fn close(&mut self, tab: Tab) {
        self.call(
            None,
            "Target.closeTarget",
            json!({"targetId": tab.target_id}),
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Tab {
    pub session: String,
    target_id: String,
}
