//! Exceptions and their stack frames, read straight from JSON.
//!
//! Frames are most of an error event's bytes: 10–30 objects of a dozen fields each, and
//! hundreds in deep stacks. Reading them through a `serde_json::Value` tree allocated a map,
//! a key and a value for every field before most of them were thrown away; these visitors
//! keep only the fields Sentinel stores, with the lenient scalars of [`crate::lenient`].
//!
//! The shapes accepted are those of [`crate::values::values_list`] and the readers in
//! [`crate::interfaces`]: `{"values": [...]}`, a bare list or a single exception object;
//! `{"frames": [...]}` or a bare frame list; entries that are not objects are skipped. A
//! repeated key counts once, the last one, as in a value tree.

use crate::lenient::{skip_map, skip_seq, Address, Flag, Text, TextList, Uint};
use crate::values::data_map;
use sentinel_core::event::Frame;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// Frames beyond this many are cut from the middle, as SDKs are asked to do.
pub const MAX_FRAMES: usize = 250;

/// The frames of a `stacktrace` object or bare frame list, oldest first, at most
/// [`MAX_FRAMES`]. Anything else reads as no frames.
#[derive(Debug, Default, PartialEq)]
pub struct StackFrames(pub Vec<Frame>);

/// The exceptions of an event's `exception` field, as sent (oldest cause first).
#[derive(Debug, Default, PartialEq)]
pub struct RawExceptions(pub Vec<RawException>);

/// One exception's fields as Sentinel reads them.
#[derive(Debug, Default, PartialEq)]
pub struct RawException {
    pub ty: Text,
    /// Any JSON: SDKs send text, but a number or an object is shown as sent.
    pub value: Option<Value>,
    pub module: Text,
    pub mechanism: Option<Value>,
    pub thread_id: Option<Value>,
    pub stacktrace: Option<StackFrames>,
    pub raw_stacktrace: Option<StackFrames>,
}

/// Implements the scalar visitor methods, each answering `$none`.
macro_rules! skip_scalars {
    ($none:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            inner.deserialize_any(self)
        }
    };
}

/// The frame fields Sentinel reads; every other key is skipped.
#[derive(serde::Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum FrameKey {
    Filename,
    AbsPath,
    Function,
    RawFunction,
    Module,
    Package,
    Platform,
    Lineno,
    Colno,
    InApp,
    ContextLine,
    PreContext,
    PostContext,
    Vars,
    InstructionAddr,
    #[serde(other)]
    Other,
}

/// One frame object into a [`Frame`].
fn read_frame<'de, A: MapAccess<'de>>(mut map: A) -> Result<Frame, A::Error> {
    let mut frame = Frame::default();
    let mut raw_function = None;
    let mut vars = None;
    while let Some(key) = map.next_key::<FrameKey>()? {
        match key {
            FrameKey::Filename => frame.filename = map.next_value::<Text>()?.0,
            FrameKey::AbsPath => frame.abs_path = map.next_value::<Text>()?.0,
            FrameKey::Function => frame.function = map.next_value::<Text>()?.0,
            FrameKey::RawFunction => raw_function = map.next_value::<Text>()?.0,
            FrameKey::Module => frame.module = map.next_value::<Text>()?.0,
            FrameKey::Package => frame.package = map.next_value::<Text>()?.0,
            FrameKey::Platform => frame.platform = map.next_value::<Text>()?.0,
            FrameKey::Lineno => frame.lineno = map.next_value::<Uint>()?.to_u32(),
            FrameKey::Colno => frame.colno = map.next_value::<Uint>()?.to_u32(),
            FrameKey::InApp => frame.in_app = map.next_value::<Flag>()?.0,
            FrameKey::ContextLine => frame.context_line = map.next_value::<Text>()?.0,
            FrameKey::PreContext => frame.pre_context = map.next_value::<TextList>()?.0,
            FrameKey::PostContext => frame.post_context = map.next_value::<TextList>()?.0,
            FrameKey::Vars => vars = map.next_value::<Option<Value>>()?,
            FrameKey::InstructionAddr => {
                frame.instruction_addr = map.next_value::<Address>()?.0;
            }
            FrameKey::Other => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    if frame.function.is_none() {
        frame.function = raw_function;
    }
    frame.vars = data_map(vars);
    Ok(frame)
}

/// A list element that is read only if it is an object.
struct MaybeFrame(Option<Frame>);

impl<'de> Deserialize<'de> for MaybeFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectOnly;
        impl<'de> Visitor<'de> for ObjectOnly {
            type Value = MaybeFrame;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MaybeFrame, A::Error> {
                read_frame(map).map(|frame| MaybeFrame(Some(frame)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<MaybeFrame, A::Error> {
                skip_seq(seq)?;
                Ok(MaybeFrame(None))
            }
            skip_scalars!(MaybeFrame(None));
        }
        deserializer.deserialize_any(ObjectOnly)
    }
}

/// The objects of a frame list, cut to [`MAX_FRAMES`] from the middle.
fn read_frame_list<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<Frame>, A::Error> {
    let mut frames = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
    while let Some(MaybeFrame(frame)) = seq.next_element()? {
        frames.extend(frame);
    }
    if frames.len() > MAX_FRAMES {
        // Keep both ends: the entry point and the raising frames matter most.
        let keep_each_end = MAX_FRAMES / 2;
        frames.drain(keep_each_end..frames.len() - keep_each_end);
    }
    Ok(frames)
}

/// A `frames` value: a list, or anything else as no frames.
struct FrameList(Vec<Frame>);

impl<'de> Deserialize<'de> for FrameList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListOnly;
        impl<'de> Visitor<'de> for ListOnly {
            type Value = FrameList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<FrameList, A::Error> {
                read_frame_list(seq).map(FrameList)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FrameList, A::Error> {
                skip_map(map)?;
                Ok(FrameList(Vec::new()))
            }
            skip_scalars!(FrameList(Vec::new()));
        }
        deserializer.deserialize_any(ListOnly)
    }
}

impl<'de> Deserialize<'de> for StackFrames {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StackVisitor;
        impl<'de> Visitor<'de> for StackVisitor {
            type Value = StackFrames;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<StackFrames, A::Error> {
                read_frame_list(seq).map(StackFrames)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StackFrames, A::Error> {
                let mut frames = Vec::new();
                while let Some(key) = map.next_key::<StackKey>()? {
                    match key {
                        StackKey::Frames => frames = map.next_value::<FrameList>()?.0,
                        StackKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(StackFrames(frames))
            }
            skip_scalars!(StackFrames(Vec::new()));
        }
        deserializer.deserialize_any(StackVisitor)
    }
}

#[derive(serde::Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum StackKey {
    Frames,
    #[serde(other)]
    Other,
}

#[derive(serde::Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum ExceptionKey {
    Values,
    Type,
    Value,
    Module,
    Mechanism,
    ThreadId,
    Stacktrace,
    RawStacktrace,
    #[serde(other)]
    Other,
}

impl RawException {
    /// Reads the value of `key` (not `values`) into this exception.
    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: ExceptionKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            ExceptionKey::Type => self.ty = map.next_value()?,
            ExceptionKey::Value => self.value = map.next_value()?,
            ExceptionKey::Module => self.module = map.next_value()?,
            ExceptionKey::Mechanism => self.mechanism = map.next_value()?,
            ExceptionKey::ThreadId => self.thread_id = map.next_value()?,
            ExceptionKey::Stacktrace => self.stacktrace = map.next_value()?,
            ExceptionKey::RawStacktrace => self.raw_stacktrace = map.next_value()?,
            ExceptionKey::Values | ExceptionKey::Other => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// A list element that is read as an exception only if it is an object.
struct MaybeException(Option<RawException>);

impl<'de> Deserialize<'de> for MaybeException {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectOnly;
        impl<'de> Visitor<'de> for ObjectOnly {
            type Value = MaybeException;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MaybeException, A::Error> {
                let mut exception = RawException::default();
                while let Some(key) = map.next_key::<ExceptionKey>()? {
                    exception.read_field(key, &mut map)?;
                }
                Ok(MaybeException(Some(exception)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<MaybeException, A::Error> {
                skip_seq(seq)?;
                Ok(MaybeException(None))
            }
            skip_scalars!(MaybeException(None));
        }
        deserializer.deserialize_any(ObjectOnly)
    }
}

/// The `values` of an exception container: a list, or anything else as none.
struct ExceptionList(Vec<RawException>);

impl<'de> Deserialize<'de> for ExceptionList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(ExceptionsVisitor)
            .map(|list| ExceptionList(list.0))
    }
}

/// Reads a list of exceptions; an object here (the `values` of a container) is none.
struct ExceptionsVisitor;

impl<'de> Visitor<'de> for ExceptionsVisitor {
    type Value = RawExceptions;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawExceptions, A::Error> {
        let mut exceptions = Vec::new();
        while let Some(MaybeException(exception)) = seq.next_element()? {
            exceptions.extend(exception);
        }
        Ok(RawExceptions(exceptions))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawExceptions, A::Error> {
        skip_map(map)?;
        Ok(RawExceptions::default())
    }
    skip_scalars!(RawExceptions::default());
}

impl<'de> Deserialize<'de> for RawExceptions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// A list, a `{"values": [...]}` container, or one exception object.
        struct ContainerVisitor;
        impl<'de> Visitor<'de> for ContainerVisitor {
            type Value = RawExceptions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawExceptions, A::Error> {
                ExceptionsVisitor.visit_seq(seq)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawExceptions, A::Error> {
                let mut values = None;
                let mut single = RawException::default();
                let mut other_keys = false;
                while let Some(key) = map.next_key::<ExceptionKey>()? {
                    match key {
                        ExceptionKey::Values => values = Some(map.next_value::<ExceptionList>()?.0),
                        key => {
                            other_keys = true;
                            single.read_field(key, &mut map)?;
                        }
                    }
                }
                Ok(RawExceptions(match values {
                    Some(values) => values,
                    None if other_keys => vec![single],
                    None => Vec::new(),
                }))
            }
            skip_scalars!(RawExceptions::default());
        }
        deserializer.deserialize_any(ContainerVisitor)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn frames(text: &str) -> Vec<Frame> {
        serde_json::from_str::<StackFrames>(text).unwrap().0
    }

    #[test]
    fn frames_are_read_leniently() {
        let read = frames(
            r#"{"frames": [
                7, "text", [1],
                {"function": "", "raw_function": "raw", "lineno": "12", "colno": 3.0,
                 "in_app": "yes", "pre_context": ["a", 1, null, ""], "post_context": "b",
                 "vars": {"x": 1, "gone": null}, "instruction_addr": 4096,
                 "filename": "first.py", "filename": "last.py", "unknown": {"deep": [1]}}
            ], "registers": {}}"#,
        );
        assert_eq!(read.len(), 1, "entries that are not objects are skipped");
        let frame = &read[0];
        assert_eq!(frame.function.as_deref(), Some("raw"));
        assert_eq!((frame.lineno, frame.colno), (Some(12), Some(3)));
        assert_eq!(frame.in_app, Some(true));
        assert_eq!(frame.pre_context, vec!["a", "1"]);
        assert_eq!(frame.post_context, vec!["b"]);
        assert_eq!(frame.vars.keys().collect::<Vec<_>>(), vec!["x"]);
        assert_eq!(frame.instruction_addr.as_deref(), Some("0x1000"));
        assert_eq!(
            frame.filename.as_deref(),
            Some("last.py"),
            "the last key wins"
        );
        assert!(frames(r#"{"frames": {"0": {}}}"#).is_empty());
        assert_eq!(frames(r#"[{"lineno": -1}]"#)[0].lineno, None);
    }

    #[test]
    fn a_null_stacktrace_falls_back_to_the_raw_one() {
        let read: RawExceptions = serde_json::from_str(
            r#"{"values": [{"type": "E", "stacktrace": null, "raw_stacktrace": [{"function": "f"}]}]}"#,
        )
        .unwrap();
        let exception = &read.0[0];
        assert_eq!(exception.ty.0.as_deref(), Some("E"));
        assert_eq!(exception.stacktrace, None);
        assert_eq!(
            exception.raw_stacktrace.as_ref().map(|s| s.0.len()),
            Some(1)
        );
        let read: RawExceptions = serde_json::from_str(r#"{"values": {"type": "E"}}"#).unwrap();
        assert!(
            read.0.is_empty(),
            "values that are not a list hold no exception"
        );
    }
}
