//! What a Redis command says, without its values: the operation
//! (`GET`, `CONFIG GET`) and the text recorded as `db.query.text`, the
//! command and the pattern of its key (`SET user:?:email ?`).

/// Commands whose first argument is a key: its pattern is kept. Every
/// other argument, and every argument of other commands, becomes `?`.
const KEYED: &[&str] = &[
    "GET",
    "SET",
    "SETEX",
    "PSETEX",
    "SETNX",
    "GETSET",
    "GETDEL",
    "GETEX",
    "GETRANGE",
    "SETRANGE",
    "INCR",
    "INCRBY",
    "INCRBYFLOAT",
    "DECR",
    "DECRBY",
    "APPEND",
    "STRLEN",
    "DEL",
    "UNLINK",
    "EXISTS",
    "EXPIRE",
    "PEXPIRE",
    "EXPIREAT",
    "PEXPIREAT",
    "TTL",
    "PTTL",
    "PERSIST",
    "TYPE",
    "MGET",
    "MSET",
    "MSETNX",
    "WATCH",
    "HGET",
    "HSET",
    "HSETNX",
    "HMSET",
    "HMGET",
    "HGETALL",
    "HDEL",
    "HEXISTS",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HKEYS",
    "HVALS",
    "HLEN",
    "HSCAN",
    "LPUSH",
    "RPUSH",
    "LPUSHX",
    "RPUSHX",
    "LPOP",
    "RPOP",
    "LRANGE",
    "LLEN",
    "LINDEX",
    "LREM",
    "LSET",
    "LTRIM",
    "LPOS",
    "LMOVE",
    "BLPOP",
    "BRPOP",
    "SADD",
    "SREM",
    "SMEMBERS",
    "SISMEMBER",
    "SMISMEMBER",
    "SCARD",
    "SPOP",
    "SRANDMEMBER",
    "SSCAN",
    "ZADD",
    "ZREM",
    "ZRANGE",
    "ZRANGEBYSCORE",
    "ZREVRANGE",
    "ZREVRANGEBYSCORE",
    "ZSCORE",
    "ZMSCORE",
    "ZINCRBY",
    "ZCARD",
    "ZCOUNT",
    "ZRANK",
    "ZREVRANK",
    "ZSCAN",
    "ZPOPMIN",
    "ZPOPMAX",
    "XADD",
    "XRANGE",
    "XREVRANGE",
    "XLEN",
    "XDEL",
    "XTRIM",
    "XACK",
    "PFADD",
    "PFCOUNT",
    "GEOADD",
    "GEODIST",
    "GEOPOS",
    "BITCOUNT",
    "GETBIT",
    "SETBIT",
    "DUMP",
    "RESTORE",
    "OBJECT",
    "PUBLISH",
];

/// Commands whose first argument is a subcommand (`CONFIG GET`).
const CONTAINERS: &[&str] = &[
    "ACL", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "FUNCTION", "LATENCY", "MEMORY", "MODULE",
    "OBJECT", "PUBSUB", "SCRIPT", "SLOWLOG", "XGROUP", "XINFO",
];

/// A command's operation and its text without values.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Described {
    pub operation: String,
    pub text: String,
}

/// Describes the command made of `args` (its name first).
pub(crate) fn describe<'a>(mut args: impl Iterator<Item = &'a [u8]>) -> Described {
    let name = args.next().map(upper).unwrap_or_default();
    let mut operation = name.clone();
    let mut rest: Vec<&[u8]> = args.collect();
    if CONTAINERS.contains(&name.as_str()) && !rest.is_empty() {
        operation.push(' ');
        operation.push_str(&upper(rest.remove(0)));
    }
    let mut text = operation.clone();
    for (i, arg) in rest.iter().enumerate() {
        text.push(' ');
        if i == 0 && KEYED.contains(&name.as_str()) {
            text.push_str(&key_pattern(arg));
        } else {
            text.push('?');
        }
    }
    Described { operation, text }
}

fn upper(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_ascii_uppercase()
}

/// A key with each `:`-separated part kept when it is a word (letters,
/// `_`, `-`, `.`), and `?` otherwise: `user:42:email` is `user:?:email`,
/// `session:ada@example.org` is `session:?`.
pub(crate) fn key_pattern(key: &[u8]) -> String {
    let mut pattern = String::with_capacity(key.len());
    for (i, part) in key.split(|&b| b == b':').enumerate() {
        if i > 0 {
            pattern.push(':');
        }
        let word = !part.is_empty()
            && part
                .iter()
                .all(|&b| b.is_ascii_alphabetic() || b == b'_' || b == b'-' || b == b'.');
        if word {
            pattern.push_str(std::str::from_utf8(part).unwrap_or("?"));
        } else {
            pattern.push('?');
        }
    }
    pattern
}

/// The commands of a packed RESP buffer (what the synchronous
/// connections are handed): each an array of bulk strings. What does not
/// parse ends the list.
pub(crate) fn unpack(mut packed: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut commands = Vec::new();
    while let Some((command, rest)) = unpack_one(packed) {
        commands.push(command);
        packed = rest;
    }
    commands
}

fn unpack_one(packed: &[u8]) -> Option<(Vec<&[u8]>, &[u8])> {
    let (count, mut rest) = header(packed, b'*')?;
    let mut args = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        let (len, after) = header(rest, b'$')?;
        let arg = after.get(..len)?;
        rest = after.get(len + 2..)?;
        args.push(arg);
    }
    Some((args, rest))
}

/// `{marker}{number}\r\n`: the number and what follows.
fn header(packed: &[u8], marker: u8) -> Option<(usize, &[u8])> {
    let rest = packed.strip_prefix(&[marker])?;
    let end = rest.iter().position(|&b| b == b'\r')?;
    let number = std::str::from_utf8(&rest[..end]).ok()?.parse().ok()?;
    Some((number, rest.get(end + 2..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(args: &[&str]) -> (String, String) {
        let d = describe(args.iter().map(|a| a.as_bytes()));
        (d.operation, d.text)
    }

    #[test]
    fn keys_keep_their_pattern_and_values_never_show() {
        assert_eq!(
            described(&["set", "user:42:email", "ada@example.org"]),
            ("SET".into(), "SET user:?:email ?".into())
        );
        assert_eq!(
            described(&["GET", "session:ada@example.org"]),
            ("GET".into(), "GET session:?".into())
        );
        assert_eq!(
            described(&["AUTH", "ada", "hunter2"]),
            ("AUTH".into(), "AUTH ? ?".into())
        );
        assert_eq!(
            described(&["config", "get", "maxmemory"]),
            ("CONFIG GET".into(), "CONFIG GET ?".into())
        );
        assert_eq!(described(&["PING"]), ("PING".into(), "PING".into()));
        assert_eq!(
            described(&["MGET", "a", "b"]),
            ("MGET".into(), "MGET a ?".into())
        );
    }

    #[test]
    fn packed_commands_are_read_back() {
        let packed = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv\n\r\n";
        let commands = unpack(packed);
        assert_eq!(commands.len(), 2);
        assert_eq!(commands[1], [&b"SET"[..], b"k", b"v\n"]);
        assert!(unpack(b"*2\r\n$3\r\nGE").is_empty());
        assert!(unpack(b"garbage").is_empty());
    }
}
