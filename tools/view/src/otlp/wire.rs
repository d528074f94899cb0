//! Protobuf's wire format read in place: fields as they come, their
//! bytes borrowed from the body. The viewer reads OTLP requests this way
//! rather than decoding them into owned messages first: most of that
//! decoding was allocating strings to copy them into JSON text and free
//! them again.

use crate::otlp::Refused;

/// How a field's value is laid out (protobuf's wire types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wire {
    Varint,
    Fixed64,
    /// Length-delimited: bytes, a string or an embedded message.
    Bytes,
    StartGroup,
    EndGroup,
    Fixed32,
}

/// A field as read: its number and its value.
pub(crate) enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    /// 32 bits (OTLP's flags, which the viewer does not show): unread.
    Fixed32,
    /// A group (a deprecated encoding): skipped whole.
    Group,
}

/// How deep messages and groups may nest: past it a body is refused, so a
/// hostile one cannot exhaust the stack (prost's own limit is 100).
pub(crate) const MAX_DEPTH: u32 = 100;

/// The fields of one message, in order.
pub(crate) struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Fields<'a> {
        Fields { bytes, at: 0 }
    }

    /// The next field, `None` at the message's end.
    pub(crate) fn next_field(&mut self) -> Result<Option<(u32, Value<'a>)>, Refused> {
        if self.at == self.bytes.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = u32::try_from(key >> 3)
            .ok()
            .filter(|number| *number != 0 && *number < 1 << 29)
            .ok_or_else(|| malformed("a field number out of range"))?;
        let value = match wire(key)? {
            Wire::Varint => Value::Varint(self.varint()?),
            Wire::Fixed64 => Value::Fixed64(u64::from_le_bytes(self.take_array()?)),
            Wire::Fixed32 => {
                self.take(4)?;
                Value::Fixed32
            }
            Wire::Bytes => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| malformed("a length past the body"))?;
                Value::Bytes(self.take(len)?)
            }
            Wire::StartGroup => {
                self.skip_group(number, 1)?;
                Value::Group
            }
            Wire::EndGroup => return Err(malformed("a group's end without its start")),
        };
        Ok(Some((number, value)))
    }

    fn varint(&mut self) -> Result<u64, Refused> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = *self
                .bytes
                .get(self.at)
                .ok_or_else(|| malformed("a number cut short"))?;
            self.at += 1;
            // The tenth byte may carry one bit only.
            if shift == 63 && byte > 1 {
                return Err(malformed("a number past 64 bits"));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(malformed("a number past 64 bits"))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], Refused> {
        let end = self
            .at
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| malformed("a length past the body"))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], Refused> {
        let bytes = self.take(N)?;
        Ok(bytes.try_into().unwrap_or([0; N]))
    }

    /// Skips a group's fields up to its end, which must carry `number`.
    fn skip_group(&mut self, number: u32, depth: u32) -> Result<(), Refused> {
        if depth > MAX_DEPTH {
            return Err(malformed("groups nested too deep"));
        }
        loop {
            if self.at == self.bytes.len() {
                return Err(malformed("a group without its end"));
            }
            let key = self.varint()?;
            let inner = u32::try_from(key >> 3).unwrap_or(0);
            match wire(key)? {
                Wire::EndGroup if inner == number => return Ok(()),
                Wire::EndGroup => return Err(malformed("a group's end that does not match")),
                Wire::StartGroup => self.skip_group(inner, depth + 1)?,
                Wire::Varint => {
                    self.varint()?;
                }
                Wire::Fixed64 => {
                    self.take(8)?;
                }
                Wire::Fixed32 => {
                    self.take(4)?;
                }
                Wire::Bytes => {
                    let len = usize::try_from(self.varint()?)
                        .map_err(|_| malformed("a length past the body"))?;
                    self.take(len)?;
                }
            }
        }
    }
}

fn wire(key: u64) -> Result<Wire, Refused> {
    Ok(match key & 7 {
        0 => Wire::Varint,
        1 => Wire::Fixed64,
        2 => Wire::Bytes,
        3 => Wire::StartGroup,
        4 => Wire::EndGroup,
        5 => Wire::Fixed32,
        _ => return Err(malformed("an unknown wire type")),
    })
}

pub(crate) fn malformed(what: &str) -> Refused {
    Refused(format!("not an OTLP ExportTraceServiceRequest: {what}"))
}

impl<'a> Value<'a> {
    /// The bytes of a length-delimited field (`what` names it in the
    /// refusal otherwise).
    pub(crate) fn bytes(&self, what: &str) -> Result<&'a [u8], Refused> {
        match self {
            Value::Bytes(bytes) => Ok(bytes),
            _ => Err(wrong_type(what)),
        }
    }

    /// A string field's text, which must be UTF-8.
    pub(crate) fn text(&self, what: &str) -> Result<&'a str, Refused> {
        std::str::from_utf8(self.bytes(what)?)
            .map_err(|_| malformed(&format!("{what} is not UTF-8")))
    }

    pub(crate) fn varint(&self, what: &str) -> Result<u64, Refused> {
        match self {
            Value::Varint(value) => Ok(*value),
            _ => Err(wrong_type(what)),
        }
    }

    pub(crate) fn fixed64(&self, what: &str) -> Result<u64, Refused> {
        match self {
            Value::Fixed64(value) => Ok(*value),
            _ => Err(wrong_type(what)),
        }
    }
}

fn wrong_type(what: &str) -> Refused {
    malformed(&format!("{what} has the wrong wire type"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(bytes: &[u8]) -> Result<Vec<u32>, Refused> {
        let mut fields = Fields::new(bytes);
        let mut numbers = Vec::new();
        while let Some((number, _)) = fields.next_field()? {
            numbers.push(number);
        }
        Ok(numbers)
    }

    #[test]
    fn fields_of_every_wire_type_are_read_and_groups_skipped() {
        let body = [
            0x08, 0x96, 0x01, // 1: varint 150
            0x11, 1, 2, 3, 4, 5, 6, 7, 8, // 2: fixed64
            0x1a, 2, b'h', b'i', // 3: bytes
            0x23, 0x08, 0x01, 0x24, // 4: a group holding a varint
            0x2d, 1, 2, 3, 4, // 5: fixed32
        ];
        assert_eq!(fields(&body).ok(), Some(vec![1, 2, 3, 4, 5]));
    }

    #[test]
    fn cut_or_impossible_bodies_are_refused() {
        for body in [
            &[0x08][..],         // a varint missing
            &[0x1a, 5, b'h'],    // a length past the end
            &[0x0f],             // wire type 7
            &[0x23, 0x08, 0x01], // a group without its end
            &[0x24],             // an end without a start
            &[0x23, 0x2c],       // an end of another group
            &[0x00, 0x01],       // field number 0
            &[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
            ], // past 64 bits
            &[0x11, 1, 2, 3],    // a fixed64 cut short
        ] {
            assert!(fields(body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn groups_nested_past_the_limit_are_refused_without_exhausting_the_stack() {
        let depth = MAX_DEPTH as usize + 10;
        let mut body = vec![0x0b; depth]; // field 1, start group
        body.extend(std::iter::repeat_n(0x0c, depth)); // field 1, end group
        assert!(fields(&body).is_err());
        let ok = [0x0b, 0x0b, 0x0c, 0x0c];
        assert_eq!(fields(&ok).ok(), Some(vec![1]));
    }
}
