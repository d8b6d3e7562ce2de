use proptest::prelude::*;

use super::*;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn at(millis: i64) -> Timestamp {
    Timestamp::from_millis(millis)
}

fn facts(kind: ArtefactKind, created: i64) -> ArtefactFacts {
    ArtefactFacts {
        id: ArtefactId(format!("a-{created}")),
        kind,
        created_at: at(created),
        session_ended_at: None,
        confirmed: false,
        uploaded_at: None,
    }
}

#[test]
fn uploaded_artefacts_go_n_days_after_the_ack() {
    let policy = RetentionPolicy::default();
    let mut clip = facts(ArtefactKind::LivenessClip, 0);
    clip.session_ended_at = Some(at(1_000));
    clip.confirmed = true;
    // Confirmed but not yet uploaded: kept (until the maximum age).
    assert_eq!(due(&policy, &clip, at(30 * DAY_MS)), None);
    clip.uploaded_at = Some(at(10 * DAY_MS));
    assert_eq!(due(&policy, &clip, at(17 * DAY_MS - 1)), None);
    assert_eq!(
        due(&policy, &clip, at(17 * DAY_MS)),
        Some(PurgeReason::AfterUpload)
    );
    // The registration photo is kept longer after upload.
    let mut photo = clip.clone();
    photo.kind = ArtefactKind::RegistrationPhoto;
    assert_eq!(due(&policy, &photo, at(17 * DAY_MS)), None);
    assert_eq!(
        due(&policy, &photo, at(40 * DAY_MS)),
        Some(PurgeReason::AfterUpload)
    );
}

#[test]
fn never_uploaded_artefacts_go_at_the_maximum_age() {
    let policy = RetentionPolicy::default();
    let mut frame = facts(ArtefactKind::LiveFrame, 5);
    frame.session_ended_at = Some(at(10));
    frame.confirmed = true;
    assert_eq!(due(&policy, &frame, at(90 * DAY_MS + 4)), None);
    assert_eq!(
        due(&policy, &frame, at(90 * DAY_MS + 5)),
        Some(PurgeReason::MaxAge)
    );
    // Even in a session that never ended.
    let open = facts(ArtefactKind::SignatureImage, 0);
    assert_eq!(
        due(&policy, &open, at(180 * DAY_MS)),
        Some(PurgeReason::MaxAge)
    );
}

#[test]
fn unconfirmed_sessions_lose_their_artefacts_soon_after_the_end() {
    let policy = RetentionPolicy::default();
    let mut photo = facts(ArtefactKind::IdPhoto, 0);
    assert_eq!(due(&policy, &photo, at(8 * DAY_MS)), None, "still open");
    photo.session_ended_at = Some(at(DAY_MS));
    assert_eq!(due(&policy, &photo, at(8 * DAY_MS - 1)), None);
    assert_eq!(
        due(&policy, &photo, at(8 * DAY_MS)),
        Some(PurgeReason::Unconfirmed)
    );
}

#[test]
fn the_plan_keeps_order_and_policies_are_validated() {
    let policy = RetentionPolicy::default();
    let items = plan(
        &policy,
        &[
            facts(ArtefactKind::IdPhoto, 0),
            facts(ArtefactKind::IdPhoto, 200 * DAY_MS),
            facts(ArtefactKind::SignatureStrokes, 1),
        ],
        at(181 * DAY_MS),
    );
    let ids: Vec<&str> = items.iter().map(|item| item.id.0.as_str()).collect();
    assert_eq!(ids, ["a-0", "a-1"]);
    policy.validate().unwrap();
    let mut bad = policy.clone();
    bad.signature.after_upload = bad.signature.max_age + Duration::from_secs(1);
    assert!(bad.validate().unwrap_err().contains("signature"));
    let mut bad = policy;
    bad.live_frame.max_age = Duration::from_secs(60);
    assert!(bad.validate().unwrap_err().contains("live_frame"));
}

#[test]
fn the_daily_run_is_due_once_a_day_and_when_the_clock_went_back() {
    let every = Duration::from_secs(24 * 60 * 60);
    assert!(purge_due(None, at(0), every));
    assert!(!purge_due(Some(at(0)), at(DAY_MS - 1), every));
    assert!(purge_due(Some(at(0)), at(DAY_MS), every));
    assert!(purge_due(Some(at(DAY_MS)), at(0), every));
}

fn any_kind() -> impl Strategy<Value = ArtefactKind> {
    (0..ArtefactKind::ALL.len()).prop_map(|index| ArtefactKind::ALL[index])
}

fn any_facts() -> impl Strategy<Value = ArtefactFacts> {
    (
        any_kind(),
        0i64..400 * DAY_MS,
        proptest::option::of(0i64..400 * DAY_MS),
        any::<bool>(),
        proptest::option::of(0i64..400 * DAY_MS),
    )
        .prop_map(|(kind, created, ended, confirmed, uploaded)| {
            let session_ended_at = ended.map(|ended| at(created + ended));
            ArtefactFacts {
                id: ArtefactId(format!("{kind:?}-{created}")),
                kind,
                created_at: at(created),
                session_ended_at,
                confirmed: confirmed && session_ended_at.is_some(),
                uploaded_at: match (confirmed, session_ended_at, uploaded) {
                    (true, Some(ended), Some(after)) => {
                        Some(ended.plus(Duration::from_millis(after as u64)))
                    }
                    _ => None,
                },
            }
        })
}

proptest! {
    /// Nothing outlives its maximum age; nothing is purged before the earliest rule allows; once
    /// due, an artefact stays due (a later run never keeps what an earlier one would delete).
    #[test]
    fn planner_laws(
        facts in proptest::collection::vec(any_facts(), 0..40),
        now in 0i64..900 * DAY_MS,
        later in 0i64..100 * DAY_MS,
    ) {
        let policy = RetentionPolicy::default();
        let now = at(now);
        let items = plan(&policy, &facts, now);
        prop_assert!(items.len() <= facts.len());
        for fact in &facts {
            let rule = policy.for_kind(fact.kind);
            let reason = due(&policy, fact, now);
            if now >= fact.created_at.plus(rule.max_age) {
                prop_assert_eq!(reason, Some(PurgeReason::MaxAge));
            }
            if let Some(reason) = reason {
                let earliest = match reason {
                    PurgeReason::MaxAge => fact.created_at.plus(rule.max_age),
                    PurgeReason::AfterUpload => fact.uploaded_at.unwrap().plus(rule.after_upload),
                    PurgeReason::Unconfirmed => {
                        prop_assert!(!fact.confirmed);
                        fact.session_ended_at.unwrap().plus(rule.unconfirmed)
                    }
                };
                prop_assert!(now >= earliest);
                prop_assert!(due(&policy, fact, now.plus(Duration::from_millis(later as u64))).is_some());
            } else {
                // Kept: not expired and no rule has run out.
                prop_assert!(now < fact.created_at.plus(rule.max_age));
            }
        }
    }
}
