//! The end-to-end harness: starts `tauri-driver` (which starts WebKitWebDriver,
//! which starts the real app binary) and opens a WebDriver session on it.
//! Every UI test follows this pattern. Run under a display, e.g.
//! `scripts/desktop-session.sh cargo test --test e2e -- --ignored`.

use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct App {
    pub client: Client,
    driver: Child,
    /// The app's data folder (`BUDBRINGER_DATA_DIR`), fresh for each test
    /// unless the test keeps one across starts ([`App::start_as`]).
    pub data_dir: DataDir,
}

/// Where an app keeps its data: a fresh temporary folder, or one a test keeps.
pub enum DataDir {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl DataDir {
    pub fn path(&self) -> &Path {
        match self {
            DataDir::Temp(t) => t.path(),
            DataDir::Kept(p) => p,
        }
    }
}

/// One computer of an organisation, for tests that start an app more than
/// once (issue 12: two organisations, one after the other, against one
/// sandbox): its data folder and its own desktop session's keyring.
pub struct Computer {
    /// `BUDBRINGER_DATA_DIR`.
    pub data: PathBuf,
    /// The XDG data home of the computer's desktop session: its GNOME Keyring
    /// (`keyrings/login.keyring`) and the webview's storage live here, so they
    /// survive a restart of the app and are shared with no other computer.
    pub home: PathBuf,
}

impl Computer {
    pub fn new(root: &Path, name: &str) -> Computer {
        let c = Computer { data: root.join(name).join("budbringer"), home: root.join(name).join("home") };
        for d in [&c.data, &c.home, &c.home.join("run")] {
            std::fs::create_dir_all(d).unwrap();
        }
        #[cfg(unix)]
        std::fs::set_permissions(c.home.join("run"), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        c
    }

    /// The embedded sandbox's folder (`<data>/data/sandbox`): the state it saves
    /// after every change, and reloads (on the same port) when it starts again.
    pub fn sandbox_dir(&self) -> PathBuf {
        self.data.join("data/sandbox")
    }

    /// Makes this computer's embedded sandbox the one of `other`: the two apps,
    /// run one after the other, then talk to one sandbox, as two organisations
    /// talk to one Altinn.
    pub fn share_sandbox_of(&self, other: &Computer) {
        std::fs::create_dir_all(self.data.join("data")).unwrap();
        std::fs::create_dir_all(other.sandbox_dir()).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(other.sandbox_dir(), self.sandbox_dir()).unwrap();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not open port {port} within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let cargo_bin = home.join(".cargo/bin/tauri-driver");
    if cargo_bin.exists() {
        cargo_bin
    } else {
        PathBuf::from("tauri-driver")
    }
}

pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl App {
    /// Starts the app with a fresh data folder and opens a session.
    pub async fn start() -> App {
        App::launch(DataDir::Temp(tempfile::tempdir().unwrap()), None, &[]).await
    }

    /// Starts the app with a fresh data folder and these environment variables set.
    pub async fn start_with_env(vars: &[(&str, &str)]) -> App {
        App::launch(DataDir::Temp(tempfile::tempdir().unwrap()), None, vars).await
    }

    /// Starts the app on `computer`: its kept data folder, in a desktop session
    /// of its own (a private D-Bus session with its own unlocked GNOME Keyring,
    /// as scripts/desktop-session.sh makes for the whole test run), so that the
    /// secrets of one computer are not the other's and survive a restart.
    pub async fn start_as(computer: &Computer) -> App {
        App::launch(DataDir::Kept(computer.data.clone()), Some(&computer.home), &[]).await
    }

    async fn launch(data_dir: DataDir, home: Option<&Path>, vars: &[(&str, &str)]) -> App {
        assert!(std::env::var_os("DISPLAY").is_some(), "no DISPLAY: run through scripts/desktop-session.sh (xvfb-run)");
        let (port, native_port) = (free_port(), free_port());
        let mut command = match home {
            None => {
                let mut c = Command::new(tauri_driver());
                // The web view's own storage (localStorage: the wizard's step, the
                // chosen theme) in this app's data folder: a test must not start
                // where the previous one left the wizard.
                c.env("XDG_DATA_HOME", data_dir.path().join("xdg-data"))
                    .env("XDG_CACHE_HOME", data_dir.path().join("xdg-cache"));
                // Its own process group, so that a test that fails ends the app
                // too: an app left running would hold the single-instance lock
                // and every later test's app would quit at once.
                #[cfg(unix)]
                std::os::unix::process::CommandExt::process_group(&mut c, 0);
                c
            }
            Some(home) => {
                // The same steps as scripts/desktop-session.sh, for this computer only.
                let mut c = Command::new("dbus-run-session");
                c.args(["--", "sh", "-c"])
                    .arg(
                        "eval \"$(printf budbringer-session | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)\" >/dev/null; \
                         export GNOME_KEYRING_CONTROL; exec \"$@\"",
                    )
                    .arg("sh")
                    .arg(tauri_driver())
                    .env("XDG_DATA_HOME", home)
                    .env("XDG_RUNTIME_DIR", home.join("run"));
                #[cfg(unix)]
                std::os::unix::process::CommandExt::process_group(&mut c, 0);
                c
            }
        };
        let driver = command
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("BUDBRINGER_DATA_DIR", data_dir.path())
            .envs(vars.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver could not start: run scripts/setup.sh test");
        wait_for_port(port, "tauri-driver");
        wait_for_port(native_port, "WebKitWebDriver");

        let binary = env!("CARGO_BIN_EXE_budbringer");
        let caps = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": binary }
        });
        let client = ClientBuilder::rustls()
            .expect("rustls connector")
            .capabilities(caps.as_object().unwrap().clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("WebDriver session on the app");
        App { client, driver, data_dir }
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("element {css} did not appear: {e}"))
    }

    /// Like [`App::find`], with a longer wait (uploads, refreshes).
    pub async fn find_slow(&self, css: &str, secs: u64) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(secs))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("element {css} did not appear within {secs} s: {e}"))
    }

    /// Types into an input after clearing it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Calls a Tauri command from the page, the way @tauri-apps/api does.
    pub async fn invoke(&self, cmd: &str, args: serde_json::Value) -> serde_json::Value {
        let v = self.invoke_raw(cmd, args).await;
        assert!(v.get("err").is_none(), "{cmd} failed: {v}");
        v["ok"].clone()
    }

    /// Like [`App::invoke`], for a call that must fail: its error.
    pub async fn invoke_err(&self, cmd: &str, args: serde_json::Value) -> serde_json::Value {
        let v = self.invoke_raw(cmd, args).await;
        assert!(v.get("ok").is_none(), "{cmd} should have failed: {v}");
        v["err"].clone()
    }

    /// `{ok: value}` or `{err: error}` of a command called from the page.
    async fn invoke_raw(&self, cmd: &str, args: serde_json::Value) -> serde_json::Value {
        let script = "const [cmd, args, done] = arguments; \
            window.__TAURI_INTERNALS__.invoke(cmd, args).then((v) => done({ ok: v }), (e) => done({ err: e }));";
        self.client.execute_async(script, vec![cmd.into(), args]).await.unwrap_or_else(|e| panic!("invoke {cmd}: {e}"))
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Clicks `css` as a user would: WebKitWebDriver scrolls an element only
    /// until its edge shows, where the window's fixed footer can still cover it
    /// (ElementNotInteractable), and a modal dialog still fading out covers the
    /// page for 300 ms (ElementClickIntercepted). So a refused click scrolls the
    /// element to the middle of the view and tries again, for up to 5 s.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let element = self.find(css).await;
            match element.click().await {
                Ok(()) => return,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("click {css} refused ({e:?}); scrolling it to the middle and trying again");
                    let arg = serde_json::to_value(&element).expect("element reference");
                    let _ = self.client.execute("arguments[0].scrollIntoView({ block: 'center' });", vec![arg]).await;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("click {css}: {e:?}"),
            }
        }
    }

    /// Waits until `css`'s text contains `needle`.
    pub async fn wait_for_text(&self, css: &str, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = self.text(css).await;
            if text.contains(needle) {
                return;
            }
            assert!(Instant::now() < deadline, "{css} never contained {needle:?}; last text {text:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `css`'s textContent (also for visually hidden text) contains `needle`.
    pub async fn wait_for_content(&self, css: &str, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = self.find(css).await.prop("textContent").await.unwrap().unwrap_or_default();
            if text.contains(needle) {
                return;
            }
            assert!(Instant::now() < deadline, "{css} never contained {needle:?}; last content {text:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves PNGs of the window as `target/screenshots/<name>.png` (the colour scheme
    /// the OS asks for: light under Xvfb) and `<name>-dark.png` (the dark scheme), each
    /// once every animation has finished, so a dialog is never caught fading in.
    pub async fn screenshot(&self, name: &str) {
        self.shoot(name).await;
        self.set_color_scheme("dark").await;
        self.shoot(&format!("{name}-dark")).await;
        self.set_color_scheme("auto").await;
    }

    async fn shoot(&self, name: &str) {
        // The pointer stays where the last click left it: park it on the header, which
        // has no hover style, so a hovered button does not look selected in the picture.
        // Two moves: WebDriver thinks the pointer is still where the last park left it (an
        // element click moves it without telling the action state), and skips a move to there.
        let park = MouseActions::new("mouse".into())
            .then(PointerAction::MoveTo { duration: None, x: 2.0, y: 2.0 })
            .then(PointerAction::MoveTo { duration: None, x: 1.0, y: 1.0 });
        self.client.perform_actions(park).await.expect("move the pointer away");
        let hovered =
            self.client.execute("return document.querySelectorAll(':is(button, a, input, select, textarea, summary, label):hover').length;", vec![]).await;
        assert_eq!(hovered.ok().and_then(|v| v.as_u64()), Some(0), "the pointer still hovers a control in {name}");
        self.settle().await;
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "screenshot is not a PNG");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
    }

    /// Designsystemet's colour scheme on <html>: "auto" follows the OS, "light" or "dark" force one.
    pub async fn set_color_scheme(&self, scheme: &str) {
        self.client
            .execute("document.documentElement.setAttribute('data-color-scheme', arguments[0]);", vec![scheme.into()])
            .await
            .expect("set data-color-scheme");
    }

    /// Waits until no finite CSS animation or transition is running and every open dialog
    /// is fully opaque (Designsystemet's dialogs fade and slide in over 300 ms; colours
    /// ease on hover and on a scheme change), then two frames more so WebKit has painted
    /// the end state. Infinite animations (spinners) are left running. Warns after 5 s.
    pub async fn settle(&self) {
        // A frame or so for what the last command started (a dialog's showModal()) to begin animating.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let script = "const done = arguments[arguments.length - 1];
            const running = () => (document.getAnimations ? document.getAnimations() : []).filter((a) =>
                a.playState === 'running' && a.effect && a.effect.getComputedTiming().endTime !== Infinity);
            const frames = (v) => requestAnimationFrame(() => requestAnimationFrame(() => done(v)));
            const deadline = Date.now() + 5000;
            const faded = () => [...document.querySelectorAll('dialog[open]')]
                .map((d) => parseFloat(getComputedStyle(d).opacity)).filter((o) => o < 0.99);
            let quiet = 0;
            const wait = () => {
                const now = running();
                // WebKit under load can report a finished fade-in while the computed opacity
                // lags a frame or two: a dialog counts as faded only while that lasts < 1 s.
                quiet = now.length === 0 ? quiet + 1 : 0;
                if (now.length === 0 && (faded().length === 0 || quiet > 4)) return frames('settled');
                if (Date.now() > deadline) return frames('timeout: ' + now.map((a) => a.animationName || a.transitionProperty || a.id).join(', ') + ' faded dialog opacities ' + faded().join(', '));
                Promise.race([Promise.allSettled(now.map((a) => a.finished)), new Promise((r) => setTimeout(r, 250))]).then(wait);
            };
            wait();";
        let v = self.client.execute_async(script, vec![]).await.expect("wait for animations");
        // A screenshot a little early is a worse picture, not a broken product: say so, do not fail.
        if v.as_str() != Some("settled") {
            eprintln!("warning: animations still running after 5 s: {v}");
        }
    }

    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        self.end_session();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }

    /// Ends the driver's whole process group (tauri-driver, WebKitWebDriver,
    /// the app and, on a computer of its own, its D-Bus daemon and keyring),
    /// so that the next start of the same computer opens its keyring afresh and
    /// a failed test leaves no app behind.
    fn end_session(&self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-TERM", "--", group.as_str()]).status();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.end_session();
        let _ = self.driver.kill();
    }
}
