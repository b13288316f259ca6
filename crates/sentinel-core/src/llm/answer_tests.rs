//! Answers are parsed strictly and checked; every refusal names what was wrong.

use super::*;
use crate::autopsy::{Category, Disposition, TestFramework};

pub(crate) fn good_answer() -> Value {
    json!({
        "category": "missing_key",
        "disposition": "identified",
        "root_cause": "app/users.py:3 reads row['email'], absent for invited users",
        "culprit": {"path": "app/users.py", "line": 3},
        "confidence": 0.8,
        "test_case": {
            "framework": "pytest",
            "path": "tests/test_users_email.py",
            "content": "def test_invited_user_has_no_email():\n    assert True\n"
        },
        "patch_diff": "--- a/app/users.py\n+++ b/app/users.py\n@@ -3 +3 @@\n-    return row['email']\n+    return row.get('email')\n",
        "ai_fix_prompt": "Guard the email lookup in app/users.py",
        "manual_steps": ["Use row.get('email')"]
    })
}

#[test]
fn a_good_answer_becomes_a_diagnosis() {
    let d = parse_diagnosis(&good_answer().to_string()).unwrap();
    assert_eq!(d.category, Category::MissingKey);
    assert_eq!(d.disposition, Disposition::Identified);
    assert_eq!(d.culprit.unwrap().line, 3);
    assert_eq!(d.test_case.unwrap().framework, TestFramework::Pytest);
    assert!(d.patch_diff.unwrap().contains("row.get"));
}

#[test]
fn a_fenced_answer_and_null_optionals_are_accepted() {
    let mut answer = good_answer();
    answer["culprit"] = Value::Null;
    answer["test_case"] = Value::Null;
    answer["patch_diff"] = Value::Null;
    let fenced = format!("```json\n{answer}\n```");
    let d = parse_diagnosis(&fenced).unwrap();
    assert!(d.culprit.is_none() && d.test_case.is_none() && d.patch_diff.is_none());
}

fn error_for(change: impl FnOnce(&mut Value)) -> String {
    let mut answer = good_answer();
    change(&mut answer);
    parse_diagnosis(&answer.to_string())
        .unwrap_err()
        .to_string()
}

#[test]
fn wrong_answers_are_refused_with_the_reason() {
    assert!(
        error_for(|a| a["category"] = json!("cosmic_ray")).contains("unknown variant `cosmic_ray`")
    );
    assert!(error_for(|a| {
        a.as_object_mut().unwrap().remove("root_cause");
    })
    .contains("missing field `root_cause`"));
    assert_eq!(
        error_for(|a| a["confidence"] = json!(1.5)),
        "the answer's confidence 1.5 is not between 0 and 1"
    );
    assert_eq!(
        error_for(|a| a["root_cause"] = json!("  ")),
        "the answer's root_cause is empty"
    );
    assert_eq!(
        error_for(|a| a["test_case"]["path"] = json!("../../etc/passwd")),
        "the answer's test_case.path \"../../etc/passwd\" is not a repository path"
    );
    assert_eq!(
        error_for(|a| a["culprit"]["line"] = json!(0)),
        "the answer's culprit.line is 0; lines count from 1"
    );
    assert_eq!(
        error_for(|a| a["patch_diff"] = json!("just use get()")),
        "the answer's patch_diff is not a unified diff (---, +++ and @@ lines)"
    );
    assert_eq!(parse_diagnosis("  "), Err(AnswerError::Empty));
    assert!(matches!(
        parse_diagnosis("I think it is a KeyError"),
        Err(AnswerError::NotJson(_))
    ));
    assert_eq!(
        parse_diagnosis(&"x".repeat(MAX_ANSWER_BYTES + 1)),
        Err(AnswerError::TooLarge)
    );
}

#[test]
fn the_schema_requires_every_field_it_declares() {
    let schema = diagnosis_schema();
    let properties = schema["properties"].as_object().unwrap();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(properties.len(), required.len());
    for key in properties.keys() {
        assert!(required.contains(&key.as_str()), "{key}");
    }
    // The good answer's fields are exactly the schema's.
    let answer = good_answer();
    let mut answer_keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
    let mut schema_keys: Vec<&String> = properties.keys().collect();
    answer_keys.sort();
    schema_keys.sort();
    assert_eq!(answer_keys, schema_keys);
}
