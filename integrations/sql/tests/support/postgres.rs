//! A PostgreSQL server of a test's own: a fresh cluster in a temporary
//! directory, on a free loopback port, stopped by its pid when dropped.
//! PostgreSQL refuses to run as root, so as root it runs as `nobody`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Postgres {
    dir: PathBuf,
    pub port: u16,
    pid: u32,
}

/// `initdb` or `pg_ctl`: on the `PATH`, or in PostgreSQL's bin directory.
fn tool(name: &str) -> PathBuf {
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin").join(name))
        .filter(|path| path.is_file())
        .collect();
    found.sort();
    found
        .pop()
        .unwrap_or_else(|| panic!("{name} not found: PostgreSQL is not installed"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

/// Runs `program` with `args`, as `nobody` when this process is root.
fn run(program: &Path, args: &[&str]) {
    let mut command = if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "nobody", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    let out = command
        .args(args)
        .output()
        .expect("the PostgreSQL tool runs");
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Postgres {
    pub fn start() -> Postgres {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tracekit-pg-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a directory");
        if is_root() {
            let status = Command::new("chown")
                .arg("nobody")
                .arg(&dir)
                .status()
                .expect("chown");
            assert!(status.success());
        }
        let data = dir.join("data");
        let (data_arg, dir_arg) = (data.to_str().unwrap(), dir.to_str().unwrap());
        run(
            &tool("initdb"),
            &["-D", data_arg, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let options = format!("-p {port} -k {dir_arg} -c listen_addresses=127.0.0.1 -c fsync=off");
        let log = dir.join("log");
        run(
            &tool("pg_ctl"),
            &[
                "-D",
                data_arg,
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        let pid_file =
            std::fs::read_to_string(data.join("postmaster.pid")).expect("postmaster.pid");
        let pid = pid_file
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .expect("a pid");
        Postgres { dir, port, pid }
    }

    pub fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGQUIT: PostgreSQL's immediate shutdown.
        let kill = |signal: &str| {
            Command::new("kill")
                .args([signal, &self.pid.to_string()])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        kill("-QUIT");
        let deadline = Instant::now() + Duration::from_secs(10);
        while kill("-0") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
