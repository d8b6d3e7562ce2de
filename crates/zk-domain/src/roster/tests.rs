use super::*;
use crate::id_card::{CardPhoto, Validity};

fn card() -> IdCard {
    IdCard {
        card_type: CardType::Resident,
        name: PersonName::new("张三"),
        name_en: None,
        sex: Sex::Male,
        ethnicity: Some(Ethnicity::from_code(1)),
        birth_date: Date::from_ymd_opt(1990, 3, 7).unwrap(),
        address: Some("北京市东城区".into()),
        extra_addresses: Vec::new(),
        number: "110101199003070011".into(),
        authority: "北京市公安局".into(),
        valid_from: Date::from_ymd_opt(2015, 1, 1).unwrap(),
        valid_to: Validity::Until(Date::from_ymd_opt(2035, 1, 1).unwrap()),
        permit_number: None,
        issue_count: None,
        nationality: None,
        photo: CardPhoto::Missing,
    }
}

pub(crate) fn registration() -> Registration {
    Registration {
        registration_id: "2604200001".into(),
        id_type: IdType::ResidentCard,
        id_number: "110101199003070011".into(),
        name: PersonName::new("张三"),
        sex: Sex::Male,
        ethnicity: Some(Ethnicity::from_code(1)),
        birth_date: Date::from_ymd_opt(1990, 3, 7).unwrap(),
        phone: Some("13800138000".into()),
        district_code: "4201".into(),
        major_code: "C050201".into(),
        major_name: "英语".into(),
        level: Level::Benke,
        status: RegistrationStatus::Registered,
    }
}

fn exam_day() -> Date {
    Date::from_ymd_opt(2026, 10, 24).unwrap()
}

fn check(card: IdCard, registration: Option<Registration>, expected: Result<(), RosterMatchError>) {
    let districts = vec!["4201".to_owned(), "4202".to_owned()];
    assert_eq!(
        match_registration(&card, registration.as_ref(), &districts, exam_day()),
        expected
    );
}

#[test]
fn every_reason() {
    check(card(), Some(registration()), Ok(()));
    check(card(), None, Err(RosterMatchError::NoRegistration));
    let expired_on = Date::from_ymd_opt(2026, 1, 1).unwrap();
    check(
        IdCard {
            valid_to: Validity::Until(expired_on),
            ..card()
        },
        Some(registration()),
        Err(RosterMatchError::Card(CardProblem::Expired(expired_on))),
    );
    check(
        card(),
        Some(Registration {
            status: RegistrationStatus::Confirmed,
            ..registration()
        }),
        Err(RosterMatchError::AlreadyConfirmed),
    );
    check(
        card(),
        Some(Registration {
            status: RegistrationStatus::Cancelled,
            ..registration()
        }),
        Err(RosterMatchError::Cancelled),
    );
    check(
        card(),
        Some(Registration {
            district_code: "4301".into(),
            ..registration()
        }),
        Err(RosterMatchError::OtherSite {
            district: "4301".into(),
        }),
    );
    check(
        card(),
        Some(Registration {
            name: PersonName::new("张四"),
            ..registration()
        }),
        Err(RosterMatchError::NameDiffers),
    );
    check(
        card(),
        Some(Registration {
            sex: Sex::Female,
            ..registration()
        }),
        Err(RosterMatchError::SexDiffers),
    );
    check(
        card(),
        Some(Registration {
            birth_date: Date::from_ymd_opt(1990, 3, 8).unwrap(),
            ..registration()
        }),
        Err(RosterMatchError::BirthDiffers),
    );
    check(
        card(),
        Some(Registration {
            id_type: IdType::HmtPermit,
            ..registration()
        }),
        Err(RosterMatchError::DocumentTypeDiffers),
    );
}

#[test]
fn minority_name_with_other_dot_matches() {
    let card = IdCard {
        name: PersonName::new("买买提·艾力"),
        ..card()
    };
    let row = Registration {
        name: PersonName::new("买买提•艾力"),
        ..registration()
    };
    check(card, Some(row), Ok(()));
}

#[test]
fn row_validation_lists_every_problem() {
    assert_eq!(registration().validate(), Ok(()));
    let bad = Registration {
        registration_id: " ".into(),
        id_number: "110101199003070012".into(),
        district_code: "42".into(),
        phone: Some("12345".into()),
        major_code: "".into(),
        name: PersonName::new(""),
        ..registration()
    };
    let fields: Vec<&str> = bad
        .validate()
        .unwrap_err()
        .iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(
        fields,
        [
            "registration_id",
            "name",
            "id_number",
            "district_code",
            "major_code",
            "phone"
        ]
    );

    let wrong_birth = Registration {
        birth_date: Date::from_ymd_opt(1991, 3, 7).unwrap(),
        ..registration()
    };
    assert_eq!(wrong_birth.validate().unwrap_err()[0].field, "birth_date");
    let wrong_sex = Registration {
        sex: Sex::Female,
        ..registration()
    };
    assert_eq!(wrong_sex.validate().unwrap_err()[0].field, "sex");
    let foreign = Registration {
        id_type: IdType::ForeignPermanent,
        id_number: "USA110090030701".into(),
        ..registration()
    };
    assert_eq!(foreign.validate(), Ok(()));
}

#[test]
fn parsers() {
    assert_eq!(IdType::parse("居民身份证"), Some(IdType::ResidentCard));
    assert_eq!(IdType::parse("passport"), None);
    assert_eq!(Level::parse("专科"), Some(Level::Zhuanke));
    assert_eq!(Level::parse("硕士"), None);
    assert_eq!(
        RegistrationStatus::parse("已确认"),
        Some(RegistrationStatus::Confirmed)
    );
    assert_eq!(RegistrationStatus::parse("??"), None);
}

#[test]
fn debug_redacts() {
    let text = format!("{:?}", registration());
    assert!(!text.contains("110101199003070011"), "{text}");
    assert!(!text.contains("张三"), "{text}");
}
