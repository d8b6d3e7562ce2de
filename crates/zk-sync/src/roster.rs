//! Registrations on the wire: [`zk_domain::Registration`] ↔ [`RosterEntry`]. Pure.

use zk_domain::{
    Date, Ethnicity, IdType, Level, PersonName, Registration, RegistrationStatus, Sex,
};

use crate::wire::RosterEntry;

/// The wire form of a registration.
pub fn entry_of(registration: &Registration) -> RosterEntry {
    RosterEntry {
        registration_id: registration.registration_id.clone(),
        id_type: registration.id_type.code().to_owned(),
        id_number: registration.id_number.clone(),
        name: registration.name.expose().to_owned(),
        sex: registration.sex.code().to_owned(),
        ethnicity: registration.ethnicity.map(Ethnicity::code),
        birth_date: registration.birth_date.format("%Y-%m-%d").to_string(),
        phone: registration.phone.clone(),
        district_code: registration.district_code.clone(),
        major_code: registration.major_code.clone(),
        major_name: registration.major_name.clone(),
        level: registration.level.code().to_owned(),
        status: registration.status.code().to_owned(),
    }
}

/// The registration a wire entry describes, checked like a roster file's row
/// ([`Registration::validate`]). The error names fields, never their personal values.
pub fn registration_of(entry: &RosterEntry) -> Result<Registration, String> {
    let bad = |field: &str| format!("the hub sent an unreadable {field}");
    let registration = Registration {
        registration_id: entry.registration_id.clone(),
        id_type: IdType::parse(&entry.id_type).ok_or_else(|| bad("id_type"))?,
        id_number: entry.id_number.trim().to_ascii_uppercase(),
        name: PersonName::new(entry.name.clone()),
        sex: Sex::from_code(&entry.sex).ok_or_else(|| bad("sex"))?,
        ethnicity: entry.ethnicity.map(Ethnicity::from_code),
        birth_date: Date::parse_from_str(&entry.birth_date, "%Y-%m-%d")
            .map_err(|_| bad("birth_date"))?,
        phone: entry.phone.clone(),
        district_code: entry.district_code.clone(),
        major_code: entry.major_code.clone(),
        major_name: entry.major_name.clone(),
        level: Level::parse(&entry.level).ok_or_else(|| bad("level"))?,
        status: RegistrationStatus::parse(&entry.status).ok_or_else(|| bad("status"))?,
    };
    registration.validate().map_err(|errors| {
        let fields: Vec<&str> = errors.iter().map(|error| error.field).collect();
        format!(
            "the hub sent a registration with invalid {}",
            fields.join(", ")
        )
    })?;
    Ok(registration)
}
