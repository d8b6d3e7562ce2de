use std::time::Duration;

use super::*;

fn at(millis: i64) -> Timestamp {
    Timestamp::from_millis(millis)
}

fn session(operator: &str, role: Role) -> StaffSession {
    StaffSession::new(operator.into(), role, at(0))
}

#[test]
fn roles_are_ordered_and_round_trip() {
    assert!(Role::Operator < Role::Reviewer && Role::Reviewer < Role::Admin);
    for role in Role::ALL {
        assert_eq!(Role::from_code(role.code()), Some(role));
    }
    assert_eq!(Role::from_code("root"), None);
}

#[test]
fn every_action_is_allowed_exactly_from_its_role_up() {
    let policy = StaffPolicy::default();
    for action in StaffAction::ALL {
        for role in Role::ALL {
            let mut staff = session("op", role);
            let result = staff.authorize(action, at(1), &policy);
            assert_eq!(
                result.is_ok(),
                role >= action.required_role(),
                "{action:?} as {role:?}"
            );
        }
    }
    assert_eq!(
        StaffAction::OverrideFailedMatch.required_role(),
        Role::Reviewer
    );
    assert_eq!(StaffAction::Purge.required_role(), Role::Admin);
}

#[test]
fn a_session_expires_after_the_idle_timeout_and_activity_extends_it() {
    let policy = StaffPolicy {
        session_timeout: Duration::from_secs(60),
        ..StaffPolicy::default()
    };
    let mut staff = session("op", Role::Operator);
    staff
        .authorize(StaffAction::TakeOver, at(59_000), &policy)
        .unwrap();
    // Active at 59 s: live until 119 s.
    staff
        .authorize(StaffAction::Decide, at(118_000), &policy)
        .unwrap();
    assert_eq!(
        staff.authorize(StaffAction::Decide, at(178_000), &policy),
        Err(StaffRefusal::SessionExpired)
    );
}

#[test]
fn an_override_needs_a_reviewer_and_by_policy_a_second_person() {
    let mut policy = StaffPolicy::default();
    let operator = session("op", Role::Operator);
    let reviewer = session("rev", Role::Reviewer);
    assert!(matches!(
        check_override(&operator, None, &policy),
        Err(StaffRefusal::RoleTooLow { .. })
    ));
    check_override(&reviewer, None, &policy).unwrap();
    policy.override_needs_second_person = true;
    assert_eq!(
        check_override(&reviewer, None, &policy),
        Err(StaffRefusal::SecondPersonRequired)
    );
    assert_eq!(
        check_override(&reviewer, Some(&reviewer), &policy),
        Err(StaffRefusal::SecondPersonIsTheSame)
    );
    check_override(&reviewer, Some(&operator), &policy).unwrap();
}

#[test]
fn the_account_locks_at_the_configured_failure_count() {
    let policy = StaffPolicy {
        max_failed_sign_ins: 3,
        ..StaffPolicy::default()
    };
    assert_eq!(after_failed_sign_in(0, &policy), (1, false));
    assert_eq!(after_failed_sign_in(1, &policy), (2, false));
    assert_eq!(after_failed_sign_in(2, &policy), (3, true));
    assert_eq!(after_failed_sign_in(u32::MAX, &policy), (u32::MAX, true));
}

#[test]
fn secrets_and_ids_are_checked() {
    let policy = StaffPolicy::default();
    for bad in ["12345", " 123456", "111111", "abc\u{7}def"] {
        assert!(check_secret(bad, &policy).is_err(), "{bad:?}");
    }
    check_secret("246810", &policy).unwrap();
    check_secret("correct horse", &policy).unwrap();
    for bad in ["", "Admin", "1op", "op erator", &"a".repeat(33)] {
        assert!(check_operator_id(bad).is_err(), "{bad:?}");
    }
    check_operator_id("wang.li-02").unwrap();
}
