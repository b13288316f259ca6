//! Lenient scalars read straight from JSON, with no value tree in between.
//!
//! Each type accepts every JSON value and keeps what [`crate::values`] would read from it:
//! text from a string, number or bool; an unsigned integer from a number or numeric string;
//! and so on. Anything else (null, a list, an object) becomes `None` and is skipped while
//! parsing. The hot parts of an event, stack frames above all, are read with these, so the
//! parser allocates only the strings Sentinel keeps.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Text from a non-empty string, a number or a bool (as [`crate::values::into_text`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Text(pub Option<String>);

/// An unsigned integer from a number (`12`, `12.0`) or a numeric string (as
/// [`crate::values::uint`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Uint(pub Option<u64>);

/// A bool from `true`/`false`, `"true"`/`"1"`/`"yes"`/… or a whole number (as
/// [`crate::values::boolean`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Flag(pub Option<bool>);

/// A list of texts (non-text entries skipped), or a single string as a list of one (as
/// [`crate::values::strings`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TextList(pub Vec<String>);

/// A machine address: a number as `0x…` hex, or text as it was sent.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Address(pub Option<String>);

/// Skips the rest of a list.
pub(crate) fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Skips the rest of an object.
pub(crate) fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A float as serde_json renders a number (`1.0`, `1e300`).
fn float_text(value: f64) -> Option<String> {
    serde_json::Number::from_f64(value).map(|n| n.to_string())
}

/// Implements the visitor methods that make every non-scalar JSON value `None`.
macro_rules! none_for_containers {
    () => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Self::Value::default())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Self::Value::default())
        }
        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            inner.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq)?;
            Ok(Self::Value::default())
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            skip_map(map)?;
            Ok(Self::Value::default())
        }
    };
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
        Ok(Text((!v.is_empty()).then(|| v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
        Ok(Text((!v.is_empty()).then_some(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
        Ok(Text(float_text(v)))
    }
    none_for_containers!();
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct UintVisitor;

impl<'de> Visitor<'de> for UintVisitor {
    type Value = Uint;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Uint, E> {
        Ok(Uint(v.trim().parse().ok()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Uint, E> {
        Ok(Uint(None))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Uint, E> {
        Ok(Uint(Some(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Uint, E> {
        Ok(Uint(u64::try_from(v).ok()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Uint, E> {
        Ok(Uint(
            (v.is_finite() && v >= 0.0 && v <= u64::MAX as f64).then_some(v as u64),
        ))
    }
    none_for_containers!();
}

impl<'de> Deserialize<'de> for Uint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UintVisitor)
    }
}

impl Uint {
    /// The value if it fits in a `u32`.
    pub fn to_u32(&self) -> Option<u32> {
        self.0.and_then(|n| u32::try_from(n).ok())
    }
}

struct FlagVisitor;

impl<'de> Visitor<'de> for FlagVisitor {
    type Value = Flag;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
        Ok(Flag(match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        }))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
        Ok(Flag(Some(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flag, E> {
        // As serde_json's `as_i64`: numbers past i64 are not whole numbers it can read.
        Ok(Flag(i64::try_from(v).ok().map(|n| n != 0)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Flag, E> {
        Ok(Flag(Some(v != 0)))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    none_for_containers!();
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FlagVisitor)
    }
}

struct TextListVisitor;

impl<'de> Visitor<'de> for TextListVisitor {
    type Value = TextList;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<TextList, E> {
        Ok(TextList(vec![v.to_string()]))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<TextList, E> {
        Ok(TextList(vec![v]))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<TextList, E> {
        Ok(TextList::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<TextList, E> {
        Ok(TextList::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<TextList, E> {
        Ok(TextList::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<TextList, E> {
        Ok(TextList::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<TextList, E> {
        Ok(TextList::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<TextList, E> {
        Ok(TextList::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<TextList, D::Error> {
        inner.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TextList, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(Text(item)) = seq.next_element::<Text>()? {
            items.extend(item);
        }
        Ok(TextList(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TextList, A::Error> {
        skip_map(map)?;
        Ok(TextList::default())
    }
}

impl<'de> Deserialize<'de> for TextList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextListVisitor)
    }
}

struct AddressVisitor;

impl<'de> Visitor<'de> for AddressVisitor {
    type Value = Address;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Address, E> {
        Ok(Address((!v.is_empty()).then(|| v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Address, E> {
        Ok(Address(Some(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Address, E> {
        Ok(Address(Some(format!("{v:#x}"))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Address, E> {
        Ok(Address(u64::try_from(v).ok().map(|v| format!("{v:#x}"))))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Address, E> {
        Ok(Address(None))
    }
    none_for_containers!();
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AddressVisitor)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::values;
    use serde_json::{json, Value};

    /// Each lenient type reads what the value-tree helper reads, from text and from a
    /// value alike.
    #[test]
    fn scalars_read_what_the_value_helpers_read() {
        let samples = [
            json!(null),
            json!(""),
            json!("12"),
            json!(" 7 "),
            json!("abc"),
            json!("TRUE"),
            json!("no"),
            json!(true),
            json!(0),
            json!(12),
            json!(-3),
            json!(12.0),
            json!(12.5),
            json!(1e300),
            json!(u64::MAX),
            json!([1, "a", null, ""]),
            json!({"a": 1}),
        ];
        for sample in samples {
            let text = serde_json::to_string(&sample).unwrap();
            let from_text = |_: ()| serde_json::from_str::<Text>(&text).unwrap();
            assert_eq!(from_text(()).0, values::into_text(sample.clone()), "{text}");
            assert_eq!(Text::deserialize(sample.clone()).unwrap(), from_text(()));
            let uint: Uint = serde_json::from_str(&text).unwrap();
            assert_eq!(uint.0, values::uint(&sample), "{text}");
            let flag: Flag = serde_json::from_str(&text).unwrap();
            assert_eq!(flag.0, values::boolean(&sample), "{text}");
            let list: TextList = serde_json::from_str(&text).unwrap();
            let expected = match &sample {
                Value::Null => Vec::new(),
                other => values::strings(Some(other.clone())),
            };
            assert_eq!(list.0, expected, "{text}");
        }
        let address: Address = serde_json::from_str("4096").unwrap();
        assert_eq!(address.0.as_deref(), Some("0x1000"));
        let address: Address = serde_json::from_str("\"0x7ff\"").unwrap();
        assert_eq!(address.0.as_deref(), Some("0x7ff"));
    }
}
