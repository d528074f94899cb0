//! A MariaDB server of a test's own: a fresh data directory, on a free
//! loopback port, stopped by its pid when dropped. It runs without its
//! grant tables (any user connects, as on a developer's machine), as
//! `nobody` when the tests run as root.

use std::path::PathBuf;

use super::process::{
    free_port, make_server_dir, pid_in, run_unprivileged, spawn_unprivileged, stop, temp_dir, tool,
    wait_for_port,
};

pub struct MariaDb {
    dir: PathBuf,
    pub port: u16,
    pid: u32,
}

impl MariaDb {
    pub fn start() -> MariaDb {
        let dir = temp_dir("mariadb");
        let data = dir.join("data");
        let data_arg = format!("--datadir={}", data.display());
        // Temporary tables in a directory of this server's own: two
        // servers bootstrapping at once in `/tmp` have removed each
        // other's (`Unknown table 'mysql.tmp_user_sys'`).
        let tmp = dir.join("tmp");
        make_server_dir(&tmp);
        let tmp_arg = format!("--tmpdir={}", tmp.display());
        run_unprivileged(
            &tool("mariadb-install-db", None),
            &[
                "--no-defaults",
                &data_arg,
                &tmp_arg,
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
            ],
        );
        let port = free_port();
        let pid_file = dir.join("pid");
        let mut server = spawn_unprivileged(
            &tool("mariadbd", None),
            &[
                "--no-defaults",
                &data_arg,
                &tmp_arg,
                &format!("--port={port}"),
                "--bind-address=127.0.0.1",
                &format!("--socket={}", dir.join("socket").display()),
                &format!("--pid-file={}", pid_file.display()),
                &format!("--log-error={}", dir.join("log").display()),
                "--skip-grant-tables",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=16M",
                "--innodb-flush-log-at-trx-commit=0",
            ],
        );
        wait_for_port(port, "mariadbd");
        let pid = pid_in(&pid_file);
        // The `runuser` that started it ends with it.
        std::thread::spawn(move || server.wait());
        MariaDb { dir, port, pid }
    }

    /// The URL of its `mysql` database, the one there always is.
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/mysql", self.port)
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        stop(self.pid, "-TERM", &self.dir);
    }
}
