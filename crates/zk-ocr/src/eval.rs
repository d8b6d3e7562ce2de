//! Scoring reads against the specimens' truth (tests, the benchmark, `zk card ocr`'s checks).

use chrono::Datelike;
use zk_domain::synthetic::SyntheticPerson;

use crate::fields::CheckedCard;
use crate::layout::Field;

/// The text a perfect read of `field` gives for `person` (after [`crate::reader::clean`]).
pub fn expected(person: &SyntheticPerson, field: Field) -> String {
    match field {
        Field::Name => person.name.clone(),
        Field::Sex => person.sex.label_zh().to_owned(),
        Field::Ethnicity => person.ethnicity.label(),
        Field::BirthDate => format!(
            "{}年{}月{}日",
            person.birth_date.year(),
            person.birth_date.month(),
            person.birth_date.day()
        ),
        Field::Address => person.address.clone(),
        Field::IdNumber => person.id_number.clone(),
    }
}

/// Which fields were read exactly, in [`Field::ALL`] order.
pub fn exact_fields(person: &SyntheticPerson, checked: &CheckedCard) -> [bool; 6] {
    Field::ALL.map(|field| {
        checked
            .field(field)
            .is_some_and(|read| read.text == expected(person, field))
    })
}

/// Per-field tallies over many cards.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub cards: usize,
    /// Exact reads per field, in [`Field::ALL`] order.
    pub exact: [usize; 6],
    /// A field marked for staff although it was read exactly.
    pub marked_but_right: [usize; 6],
    /// A field read wrong and NOT marked: what staff could miss.
    pub wrong_unmarked: [usize; 6],
}

impl Tally {
    pub fn add(&mut self, person: &SyntheticPerson, checked: &CheckedCard) {
        self.cards += 1;
        let exact = exact_fields(person, checked);
        for (index, field) in Field::ALL.iter().enumerate() {
            let marked = checked
                .field(*field)
                .is_some_and(|read| read.problem.is_some());
            if exact[index] {
                self.exact[index] += 1;
                if marked {
                    self.marked_but_right[index] += 1;
                }
            } else if !marked {
                self.wrong_unmarked[index] += 1;
            }
        }
    }

    /// A card that could not be read at all (no card found): every field counts as missed and
    /// marked.
    pub fn add_unread(&mut self) {
        self.cards += 1;
    }

    pub fn accuracy(&self, field: Field) -> f64 {
        let index = Field::ALL.iter().position(|f| *f == field).unwrap_or(0);
        if self.cards == 0 {
            0.0
        } else {
            self.exact[index] as f64 / self.cards as f64
        }
    }
}
