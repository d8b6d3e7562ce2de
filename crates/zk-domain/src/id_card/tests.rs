use super::*;

pub(crate) fn sample_card() -> IdCard {
    IdCard {
        card_type: CardType::Resident,
        name: PersonName::new("张三"),
        name_en: None,
        sex: Sex::Male,
        ethnicity: Some(Ethnicity::from_code(1)),
        birth_date: Date::from_ymd_opt(1990, 3, 7).unwrap(),
        address: Some("北京市东城区某街道1号".into()),
        extra_addresses: Vec::new(),
        number: "110101199003070011".into(),
        authority: "北京市公安局东城分局".into(),
        valid_from: Date::from_ymd_opt(2015, 1, 1).unwrap(),
        valid_to: Validity::Until(Date::from_ymd_opt(2035, 1, 1).unwrap()),
        permit_number: None,
        issue_count: None,
        nationality: None,
        photo: CardPhoto::Decoded(vec![1, 2, 3]),
    }
}

fn exam_day() -> Date {
    Date::from_ymd_opt(2026, 10, 24).unwrap()
}

#[test]
fn valid_card_passes() {
    assert_eq!(sample_card().check(exam_day()), Ok(()));
    let long_term = IdCard {
        valid_to: Validity::LongTerm,
        ..sample_card()
    };
    assert_eq!(long_term.check(exam_day()), Ok(()));
}

#[test]
fn each_problem_is_distinct() {
    let bad_number = IdCard {
        number: "110101199003070012".into(),
        ..sample_card()
    };
    assert!(matches!(
        bad_number.check(exam_day()),
        Err(CardProblem::BadNumber(_))
    ));

    let wrong_birth = IdCard {
        birth_date: Date::from_ymd_opt(1990, 3, 8).unwrap(),
        ..sample_card()
    };
    assert_eq!(
        wrong_birth.check(exam_day()),
        Err(CardProblem::BirthDateMismatch)
    );

    let wrong_sex = IdCard {
        sex: Sex::Female,
        ..sample_card()
    };
    assert_eq!(wrong_sex.check(exam_day()), Err(CardProblem::SexMismatch));

    let end = Date::from_ymd_opt(2026, 10, 23).unwrap();
    let expired = IdCard {
        valid_to: Validity::Until(end),
        ..sample_card()
    };
    assert_eq!(expired.check(exam_day()), Err(CardProblem::Expired(end)));
    // Valid through its last day.
    let last_day = IdCard {
        valid_to: Validity::Until(exam_day()),
        ..sample_card()
    };
    assert_eq!(last_day.check(exam_day()), Ok(()));

    let future = Date::from_ymd_opt(2027, 1, 1).unwrap();
    let not_yet = IdCard {
        valid_from: future,
        ..sample_card()
    };
    assert_eq!(
        not_yet.check(exam_day()),
        Err(CardProblem::NotYetValid(future))
    );

    let permit_on_resident = IdCard {
        number: "810000199408230021".into(),
        birth_date: Date::from_ymd_opt(1994, 8, 23).unwrap(),
        sex: Sex::Female,
        ..sample_card()
    };
    assert_eq!(
        permit_on_resident.check(exam_day()),
        Err(CardProblem::TypeMismatch)
    );
}

#[test]
fn other_card_types() {
    let hk = IdCard {
        card_type: CardType::HmtPermit,
        number: "810000199408230021".into(),
        birth_date: Date::from_ymd_opt(1994, 8, 23).unwrap(),
        sex: Sex::Female,
        ethnicity: None,
        permit_number: Some("H12345678".into()),
        issue_count: Some("01".into()),
        ..sample_card()
    };
    assert_eq!(hk.check(exam_day()), Ok(()));

    let foreign_2017 = IdCard {
        card_type: CardType::ForeignPermanent2017,
        number: "USA110090030701".into(),
        name_en: Some("SMITH, JOHN".into()),
        nationality: Some("USA".into()),
        ethnicity: None,
        address: None,
        extra_addresses: Vec::new(),
        ..sample_card()
    };
    assert_eq!(foreign_2017.id_number(), Ok(None));
    assert_eq!(foreign_2017.check(exam_day()), Ok(()));
}

#[test]
fn ethnicity_table() {
    assert_eq!(Ethnicity::all().count(), 58);
    assert_eq!(Ethnicity::all().filter(|e| e.code() <= 56).count(), 56);
    assert_eq!(Ethnicity::from_code(1).label(), "汉");
    assert_eq!(Ethnicity::from_code(56).label(), "基诺");
    assert_eq!(Ethnicity::from_code(77).label(), "未知(77)");
    assert!(!Ethnicity::from_code(77).is_known());
    assert_eq!(Ethnicity::parse("维吾尔族"), Some(Ethnicity::from_code(5)));
    assert_eq!(Ethnicity::parse("05"), Some(Ethnicity::from_code(5)));
    assert_eq!(Ethnicity::parse("火星"), None);
}

#[test]
fn sex_codes() {
    assert_eq!(Sex::from_code("2"), Some(Sex::Female));
    assert_eq!(Sex::from_code("9"), Some(Sex::Unspecified));
    assert_eq!(Sex::from_code("3"), None);
    assert_eq!(Sex::parse_label("女"), Some(Sex::Female));
    assert_eq!(Sex::parse_label("x"), None);
}

#[test]
fn debug_redacts() {
    let text = format!("{:?}", sample_card());
    assert!(!text.contains("张三"), "{text}");
    assert!(!text.contains("19900307"), "{text}");
    assert!(!text.contains("北京市"), "{text}");
}
