//! The traced Redis connections against a real `redis-server` started on
//! a loopback port of its own (and stopped by its pid): commands,
//! pipelines, errors, the async connections, cancellation and the
//! parent-only default.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use redis::{AsyncCommands, Commands};
use tracekit::export::Memory;
use tracekit::{SpanKind, SpanRecord, TagValue, testing};
use tracekit_redis::{RedisConfig, Traced};

/// A redis-server of this test binary's own.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts a redis-server on a free loopback port; it stops when this
    /// is dropped. The tests run in parallel, and a port found free may be
    /// taken by another test's server before this one binds it: a server
    /// counts as started only when the one answering on the port says it
    /// is this child (its `process_id`), and one that could not bind is
    /// started again on another port.
    fn start() -> Server {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut server = Server::spawn();
            loop {
                assert!(Instant::now() < deadline, "redis-server did not start");
                if server.child.try_wait().ok().flatten().is_some() {
                    break; // it exited: the port was taken
                }
                if server.answering_pid() == Some(server.child.id()) {
                    return server;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    fn spawn() -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (scripts/test-all.sh installs it)");
        Server { child, port }
    }

    /// The process id of the redis-server answering on the port, if one
    /// does.
    fn answering_pid(&self) -> Option<u32> {
        let mut connection = self.client().get_connection().ok()?;
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut connection)
            .ok()?;
        info.lines()
            .find_map(|line| line.strip_prefix("process_id:"))
            .and_then(|pid| pid.trim().parse().ok())
    }

    fn client(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("a client")
    }

    fn config(&self) -> RedisConfig {
        RedisConfig::new().server("127.0.0.1", self.port)
    }
}

fn text(value: &str) -> Option<TagValue> {
    Some(TagValue::from(value.to_owned()))
}

fn tag(span: &SpanRecord, key: &str) -> Option<TagValue> {
    span.tag(key).cloned()
}

#[test]
fn a_command_is_a_client_span_with_its_key_pattern_and_no_value() {
    let server = Server::start();
    let mut cache = Traced::with_config(server.client().get_connection().unwrap(), server.config());
    let (name, spans) = testing::capture(|| {
        let _: () = cache.set("user:42:email", "ada@example.org").unwrap();
        cache.get::<_, String>("user:42:email").unwrap()
    });
    assert_eq!(name, "ada@example.org");
    let [set, get] = &spans[..] else {
        panic!("{spans:?}")
    };
    assert_eq!(set.name, "SET");
    assert_eq!(set.kind, SpanKind::Client);
    assert_eq!(tag(set, "db.system.name"), text("redis"));
    assert_eq!(tag(set, "db.namespace"), text("0"));
    assert_eq!(tag(set, "db.operation.name"), text("SET"));
    assert_eq!(tag(set, "db.query.text"), text("SET user:?:email ?"));
    assert_eq!(tag(set, "server.address"), text("127.0.0.1"));
    assert_eq!(
        tag(set, "server.port"),
        Some(TagValue::I64(i64::from(server.port)))
    );
    assert_eq!(get.name, "GET");
    assert_eq!(tag(get, "db.query.text"), text("GET user:?:email"));
    let recorded = format!("{spans:?}");
    assert!(!recorded.contains("ada@example.org"), "{recorded}");
}

#[test]
fn a_pipeline_is_one_span_with_its_batch_size() {
    let server = Server::start();
    let mut cache = Traced::new(server.client().get_connection().unwrap());
    let (_, spans) = testing::capture(|| {
        let (a, b): (Option<String>, Option<String>) = redis::pipe()
            .get("pipe:a")
            .get("pipe:b")
            .query(&mut cache)
            .unwrap();
        assert_eq!((a, b), (None, None));
        let _: () = redis::pipe()
            .atomic()
            .set("pipe:a", 1)
            .incr("pipe:a", 2)
            .ignore()
            .query(&mut cache)
            .unwrap();
    });
    let [gets, mixed] = &spans[..] else {
        panic!("{spans:?}")
    };
    assert_eq!(gets.name, "BATCH GET");
    assert_eq!(tag(gets, "db.operation.batch.size"), Some(TagValue::I64(2)));
    assert_eq!(tag(gets, "db.query.text"), text("GET pipe:a; GET pipe:b"));
    assert_eq!(mixed.name, "BATCH", "a transaction of a SET and an INCR");
    assert_eq!(
        tag(mixed, "db.query.text"),
        text("SET pipe:a ?; INCRBY pipe:a ?")
    );
}

#[test]
fn a_redis_error_carries_its_code() {
    let server = Server::start();
    let mut cache = Traced::new(server.client().get_connection().unwrap());
    let (result, spans) = testing::capture(|| {
        let _: () = cache.lpush("errors:list", "x").unwrap();
        cache.get::<_, String>("errors:list")
    });
    let error = result.unwrap_err();
    assert_eq!(error.code(), Some("WRONGTYPE"));
    let span = &spans[1];
    assert!(span.is_error());
    assert_eq!(tag(span, "db.response.status_code"), text("WRONGTYPE"));
    assert_eq!(tag(span, "error.type"), text("WRONGTYPE"));
}

#[test]
fn an_unknown_commands_error_does_not_echo_its_arguments() {
    let server = Server::start();
    let mut cache = Traced::new(server.client().get_connection().unwrap());
    let (result, spans) = testing::capture(|| {
        redis::cmd("NOSUCHCOMMAND")
            .arg("secret-value")
            .query::<()>(&mut cache)
    });
    assert!(result.is_err());
    let recorded = format!("{spans:?}");
    assert!(spans[0].is_error());
    assert!(!recorded.contains("secret-value"), "{recorded}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_connections_are_traced_and_a_dropped_command_is_cancelled() {
    let server = Server::start();
    let multiplexed = server
        .client()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let mut cache = Traced::new(multiplexed);
    let manager = redis::aio::ConnectionManager::new(server.client())
        .await
        .unwrap();
    let mut managed = Traced::new(manager);
    let (_, spans) = testing::capture_async(async {
        let _: () = cache.set("async:k", 7).await.unwrap();
        let seven: i64 = managed.get("async:k").await.unwrap();
        assert_eq!(seven, 7);
        // A blocking pop that would wait 5 s, given up after 50 ms.
        let waited = tokio::time::timeout(
            Duration::from_millis(50),
            cache.blpop::<_, Option<(String, String)>>("async:empty", 5.0),
        )
        .await;
        assert!(waited.is_err());
    })
    .await;
    let names: Vec<&str> = spans.iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["SET", "GET", "BLPOP"]);
    assert_eq!(tag(&spans[2], "cancelled"), Some(TagValue::Bool(true)));
    assert_eq!(tag(&spans[1], "cancelled"), None);
    assert_eq!(tag(&spans[2], "db.query.text"), text("BLPOP async:empty ?"));
}

#[test]
fn with_no_active_span_no_span_is_made_unless_root_spans_are_asked_for() {
    let server = Server::start();
    static MEMORY: OnceLock<Memory> = OnceLock::new();
    let memory = MEMORY.get_or_init(|| {
        let memory = Memory::new();
        std::mem::forget(
            tracekit::Tracer::builder()
                .exporter(memory.clone())
                .install(),
        );
        memory
    });
    let mut quiet = Traced::new(server.client().get_connection().unwrap());
    let _: () = quiet.set("rootless:quiet", 1).unwrap();
    let mut rooted = Traced::with_config(
        server.client().get_connection().unwrap(),
        server.config().root_spans(true),
    );
    let _: () = rooted.set("rootless:rooted", 1).unwrap();
    tracekit::global().flush().unwrap();
    let texts: Vec<Option<TagValue>> = memory
        .spans()
        .iter()
        .map(|s| tag(s, "db.query.text"))
        // Other tests' captured spans are exported too: this test's alone.
        .filter(|text| {
            text.as_ref()
                .and_then(TagValue::as_str)
                .is_some_and(|t| t.contains("rootless:"))
        })
        .collect();
    assert_eq!(texts, [text("SET rootless:rooted ?")]);
}
