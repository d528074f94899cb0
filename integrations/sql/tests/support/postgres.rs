//! A PostgreSQL server of a test's own: a fresh cluster in a temporary
//! directory, on a free loopback port, stopped by its pid when dropped.
//! PostgreSQL refuses to run as root, so as root it runs as `nobody`.

use std::path::PathBuf;

use super::process::{free_port, pid_in, run_unprivileged, stop, temp_dir, tool};

pub struct Postgres {
    dir: PathBuf,
    pub port: u16,
    pid: u32,
}

impl Postgres {
    pub fn start() -> Postgres {
        let dir = temp_dir("pg");
        let data = dir.join("data");
        let (data_arg, dir_arg) = (data.to_str().unwrap(), dir.to_str().unwrap());
        let postgres_bin = Some("/usr/lib/postgresql");
        run_unprivileged(
            &tool("initdb", postgres_bin),
            &["-D", data_arg, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        let port = free_port();
        let options = format!("-p {port} -k {dir_arg} -c listen_addresses=127.0.0.1 -c fsync=off");
        let log = dir.join("log");
        run_unprivileged(
            &tool("pg_ctl", postgres_bin),
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
        let pid = pid_in(&data.join("postmaster.pid"));
        Postgres { dir, port, pid }
    }

    pub fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }

    /// A client of this server, its connection driven by the tokio
    /// runtime it is called on, with the stock table filled: `apple` 5,
    /// `kiwi` 0.
    pub async fn stocked_client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.conninfo(), tokio_postgres::NoTls)
            .await
            .expect("connected");
        tokio::spawn(connection);
        client
            .batch_execute(
                "CREATE TABLE stock (item TEXT PRIMARY KEY, count INTEGER NOT NULL);
                 INSERT INTO stock VALUES ('apple', 5), ('kiwi', 0);",
            )
            .await
            .expect("the table");
        client
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGQUIT: PostgreSQL's immediate shutdown.
        stop(self.pid, "-QUIT", &self.dir);
    }
}
