//! What the servers of the tests share: a temporary directory the server
//! may write, a free loopback port, running a tool as an unprivileged user
//! (PostgreSQL refuses root; MariaDB wants a user named), and stopping a
//! server by its pid.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Whether this process runs as root (then servers run as `nobody`).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

/// `program`, run as `nobody` when this process is root.
fn unprivileged(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "nobody", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Runs `program` with `args` (as `nobody` when root); panics with its
/// error output if it fails.
pub fn run_unprivileged(program: &Path, args: &[&str]) {
    let out = unprivileged(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("{}: {error}", program.display()));
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts `program` with `args` in the background (as `nobody` when
/// root), its output thrown away.
pub fn spawn_unprivileged(program: &Path, args: &[&str]) -> Child {
    unprivileged(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("{}: {error}", program.display()))
}

/// A fresh directory of this test's own, named after `server`, writable
/// by the user servers run as.
pub fn temp_dir(server: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tracekit-{server}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    make_server_dir(&dir);
    dir
}

/// Makes the directory `dir`, writable by the user servers run as.
pub fn make_server_dir(dir: &Path) {
    std::fs::create_dir_all(dir).expect("a directory");
    if is_root() {
        let status = Command::new("chown")
            .arg("nobody")
            .arg(dir)
            .status()
            .expect("chown");
        assert!(status.success());
    }
}

/// A loopback port nothing listens on.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until something accepts connections on `port`.
pub fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The pid written in the first line of `file`, waited for.
pub fn pid_in(file: &Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let read = std::fs::read_to_string(file).ok();
        if let Some(pid) = read.and_then(|text| text.lines().next()?.trim().parse().ok()) {
            return pid;
        }
        assert!(Instant::now() < deadline, "no pid in {}", file.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` to `pid`, waits for it to end, and removes `dir`.
pub fn stop(pid: u32, signal: &str, dir: &Path) {
    let kill = |signal: &str| {
        Command::new("kill")
            .args([signal, &pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    kill(signal);
    let deadline = Instant::now() + Duration::from_secs(10);
    while kill("-0") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The program `name`: on the `PATH`, in `/usr/sbin`, or in the `bin`
/// of the newest version under `versioned_parent`
/// (`/usr/lib/postgresql/15/bin`).
pub fn tool(name: &str, versioned_parent: Option<&str>) -> PathBuf {
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
    }
    for dir in ["/usr/sbin", "/usr/local/sbin"] {
        if Path::new(dir).join(name).is_file() {
            return Path::new(dir).join(name);
        }
    }
    let mut found: Vec<PathBuf> = versioned_parent
        .and_then(|parent| std::fs::read_dir(parent).ok())
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin").join(name))
        .filter(|path| path.is_file())
        .collect();
    found.sort();
    found
        .pop()
        .unwrap_or_else(|| panic!("{name} not found: is its server installed?"))
}
