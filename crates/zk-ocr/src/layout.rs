//! The portrait side of the second-generation resident ID card (GA 490): 85.6 × 54 mm, fields
//! at fixed places. A rectified card image is `CARD_WIDTH` × `CARD_HEIGHT` pixels (10 px/mm).
//! The specimen renderer draws by these numbers and the reader reads by bands around them, with
//! room for a card rectified a millimetre or two off.

/// Pixels per millimetre of a rectified card.
pub const PX_PER_MM: f32 = 10.0;
pub const CARD_WIDTH: u32 = 856;
pub const CARD_HEIGHT: u32 = 540;

/// A rectangle in millimetres from the card's top-left corner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MmRect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl MmRect {
    pub const fn new(x: f32, y: f32, width: f32, height: f32) -> MmRect {
        MmRect {
            x,
            y,
            width,
            height,
        }
    }

    /// In the pixels of a rectified card: (x, y, width, height), clamped to the card.
    pub fn px(&self) -> (u32, u32, u32, u32) {
        let x0 = (self.x * PX_PER_MM).clamp(0.0, CARD_WIDTH as f32);
        let y0 = (self.y * PX_PER_MM).clamp(0.0, CARD_HEIGHT as f32);
        let x1 = ((self.x + self.width) * PX_PER_MM).clamp(0.0, CARD_WIDTH as f32);
        let y1 = ((self.y + self.height) * PX_PER_MM).clamp(0.0, CARD_HEIGHT as f32);
        (
            x0 as u32,
            y0 as u32,
            (x1 - x0).max(0.0) as u32,
            (y1 - y0).max(0.0) as u32,
        )
    }
}

/// Where the printed labels and values start (mm), and the text sizes the card uses.
pub const LABEL_X: f32 = 4.5;
pub const VALUE_X: f32 = 13.5;
pub const LABEL_SIZE: f32 = 3.0;
pub const VALUE_SIZE: f32 = 3.9;
pub const NAME_SIZE: f32 = 4.6;
pub const NAME_TOP: f32 = 5.0;
pub const SEX_TOP: f32 = 12.0;
pub const ETHNICITY_LABEL_X: f32 = 25.0;
pub const ETHNICITY_X: f32 = 33.5;
pub const BIRTH_TOP: f32 = 19.0;
pub const ADDRESS_TOP: f32 = 26.0;
pub const ADDRESS_PITCH: f32 = 5.0;
/// Characters per address line (the card wraps the address at this width).
pub const ADDRESS_CHARS_PER_LINE: usize = 11;
pub const ADDRESS_LINES: usize = 3;
pub const NUMBER_LABEL_TOP: f32 = 45.0;
pub const NUMBER_X: f32 = 26.0;
pub const NUMBER_TOP: f32 = 44.3;
pub const NUMBER_SIZE: f32 = 4.6;
/// The portrait (the card's own printed photo).
pub const PORTRAIT: MmRect = MmRect::new(55.0, 6.0, 26.0, 32.0);

/// The fields and the band each is read from: a box whose centre falls in the band belongs to
/// the field, clipped to the band's columns (so a label printed beside a value is cut off).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Name,
    Sex,
    Ethnicity,
    BirthDate,
    Address,
    IdNumber,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Name,
        Field::Sex,
        Field::Ethnicity,
        Field::BirthDate,
        Field::Address,
        Field::IdNumber,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Sex => "sex",
            Field::Ethnicity => "ethnicity",
            Field::BirthDate => "birth_date",
            Field::Address => "address",
            Field::IdNumber => "id_number",
        }
    }

    /// The band (mm) the field's text lies in: value columns only, a little taller than the
    /// text, and clear of the portrait.
    pub fn band(self) -> MmRect {
        let value_width = PORTRAIT.x - 1.0 - (VALUE_X - 1.0);
        match self {
            Field::Name => MmRect::new(VALUE_X - 1.0, NAME_TOP - 2.0, value_width, 7.5),
            Field::Sex => MmRect::new(
                VALUE_X - 1.0,
                SEX_TOP - 1.5,
                ETHNICITY_LABEL_X - VALUE_X,
                7.0,
            ),
            Field::Ethnicity => MmRect::new(
                ETHNICITY_X - 1.0,
                SEX_TOP - 1.5,
                PORTRAIT.x - ETHNICITY_X,
                7.0,
            ),
            Field::BirthDate => MmRect::new(VALUE_X - 1.0, BIRTH_TOP - 1.5, value_width, 7.0),
            Field::Address => MmRect::new(
                VALUE_X - 1.0,
                ADDRESS_TOP - 1.5,
                value_width,
                ADDRESS_PITCH * ADDRESS_LINES as f32 + 1.5,
            ),
            Field::IdNumber => MmRect::new(NUMBER_X - 2.0, NUMBER_TOP - 1.5, 58.0, 8.0),
        }
    }
}
