//! A real HTTP/1.1 receiver on loopback for the exporter's tests: it keeps
//! every request it reads (method, path, headers, body) and answers each
//! with the next of the answers its test scripted (the last one repeats).

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A request as the receiver read it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the receiver answers to one request.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Instead of answering: wait this long, then close the connection.
    pub hang: Option<std::time::Duration>,
    /// Instead of a whole answer: its first bytes, then close.
    pub cut: bool,
}

impl Answer {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.into(),
            hang: None,
            cut: false,
        }
    }

    /// Reads the request, answers nothing for `time`, then closes.
    pub fn hang(time: std::time::Duration) -> Answer {
        Answer {
            hang: Some(time),
            ..Answer::new(200, "")
        }
    }

    /// Reads the request, starts an answer, and closes mid-way.
    pub fn cut() -> Answer {
        Answer {
            cut: true,
            ..Answer::new(200, "")
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Answer {
        self.headers.push((name, value.into()));
        self
    }
}

/// The receiver; it runs until the test ends.
pub struct Receiver {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Receiver {
    /// Starts a receiver that answers every request with `status` and
    /// `body`.
    pub fn start(status: u16, body: &'static str) -> Receiver {
        Receiver::scripted(vec![Answer::new(status, body)])
    }

    /// Starts a receiver that gives `answers` in turn, the last one to
    /// every request after.
    pub fn scripted(answers: Vec<Answer>) -> Receiver {
        Receiver::scripted_at("127.0.0.1:0", answers)
    }

    /// [`scripted`](Self::scripted), listening at `addr`.
    pub fn scripted_at(addr: &str, answers: Vec<Answer>) -> Receiver {
        let listener = TcpListener::bind(addr).expect("a loopback port");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(answers)));
        let kept = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (kept, script) = (kept.clone(), script.clone());
                std::thread::spawn(move || serve(stream, &kept, &script));
            }
        });
        Receiver { addr, requests }
    }

    /// The base endpoint (`http://127.0.0.1:PORT`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

/// Reads requests off one connection (kept alive) until it closes.
fn serve(stream: TcpStream, kept: &Mutex<Vec<Request>>, script: &Mutex<VecDeque<Answer>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    while let Some(request) = read_request(&mut reader) {
        kept.lock().unwrap().push(request);
        let answer = {
            let mut script = script.lock().unwrap();
            if script.len() > 1 {
                script.pop_front().unwrap()
            } else {
                script[0].clone()
            }
        };
        if let Some(time) = answer.hang {
            std::thread::sleep(time);
            return;
        }
        if answer.cut {
            let _ = writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-len");
            return;
        }
        let mut head = format!(
            "HTTP/1.1 {} Status\r\ncontent-length: {}\r\n",
            answer.status,
            answer.body.len()
        );
        for (name, value) in &answer.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&answer.body).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}
