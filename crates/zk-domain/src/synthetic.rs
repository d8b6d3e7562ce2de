//! Synthetic people for tests, specimen cards and benchmarks: plausible Chinese names, sexes,
//! ethnicities, birth dates, addresses (real county-level region codes with their names) and
//! GB 11643 numbers that match them. Nobody real: names are drawn from common characters and
//! numbers from the generator, never from data. Pure: the caller passes the random source (seed
//! it for repeatable sets).

use rand_core::RngCore;

use crate::id_card::{CardPhoto, CardType, Ethnicity, IdCard, Sex, Validity};
use crate::id_number::check_character;
use crate::name::PersonName;
use crate::time::Date;

const SURNAMES: [&str; 60] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "欧阳",
];

const GIVEN: [&str; 96] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "萍", "红", "鹏", "辉", "建", "国",
    "文", "俊", "斌", "宇", "浩", "凯", "晨", "欣", "怡", "婷", "雪", "琳", "晶", "瑶", "倩", "颖",
    "佳", "嘉", "子", "梓", "涵", "轩", "博", "睿", "哲", "思", "雨", "晓", "海", "峰", "波", "鑫",
    "志", "宏", "春", "冬", "秋", "梅", "燕", "莉", "琴", "云", "飞", "龙", "凤", "亮", "成", "林",
    "森", "瑞", "祥", "福", "宁", "安", "康", "乐", "欢", "蕾", "薇", "彤", "悦", "昊", "然", "泽",
];

/// County-level divisions (GB/T 2260 code, the address's province, city and county as printed).
const REGIONS: [(&str, &str); 24] = [
    ("420102", "湖北省武汉市江岸区"),
    ("420106", "湖北省武汉市武昌区"),
    ("420111", "湖北省武汉市洪山区"),
    ("420202", "湖北省黄石市黄石港区"),
    ("420502", "湖北省宜昌市西陵区"),
    ("420602", "湖北省襄阳市襄城区"),
    ("420902", "湖北省孝感市孝南区"),
    ("421002", "湖北省荆州市沙市区"),
    ("421102", "湖北省黄冈市黄州区"),
    ("421202", "湖北省咸宁市咸安区"),
    ("422801", "湖北省恩施土家族苗族自治州恩施市"),
    ("110105", "北京市朝阳区"),
    ("310104", "上海市徐汇区"),
    ("440106", "广东省广州市天河区"),
    ("430102", "湖南省长沙市芙蓉区"),
    ("410105", "河南省郑州市金水区"),
    ("360102", "江西省南昌市东湖区"),
    ("340104", "安徽省合肥市蜀山区"),
    ("500103", "重庆市渝中区"),
    ("510107", "四川省成都市武侯区"),
    ("320102", "江苏省南京市玄武区"),
    ("330106", "浙江省杭州市西湖区"),
    ("450103", "广西壮族自治区南宁市青秀区"),
    ("530102", "云南省昆明市五华区"),
];

const STREETS: [&str; 24] = [
    "解放大道",
    "中山路",
    "人民路",
    "建设大道",
    "友谊大道",
    "和平街",
    "光明路",
    "新华路",
    "东湖路",
    "长江路",
    "黄河路",
    "胜利街",
    "民主路",
    "文化路",
    "育才路",
    "书院街",
    "体育路",
    "南湖大道",
    "珞喻路",
    "青年路",
    "幸福路",
    "团结村",
    "红旗村",
    "桃园路",
];

/// Ethnicities by weight: most people are 汉 (01); the rest spread over common ones.
const ETHNICITY_WEIGHTS: [(u8, u32); 10] = [
    (1, 880),
    (15, 20), // 土家
    (6, 20),  // 苗
    (8, 20),  // 壮
    (3, 10),  // 回
    (11, 10), // 满
    (5, 10),  // 维吾尔
    (4, 10),  // 藏
    (9, 10),  // 布依
    (10, 10), // 朝鲜
];

/// One made-up resident with a consistent card.
#[derive(Clone, PartialEq, Eq)]
pub struct SyntheticPerson {
    pub name: String,
    pub sex: Sex,
    pub ethnicity: Ethnicity,
    pub birth_date: Date,
    /// As printed on the card, one string (the card wraps it).
    pub address: String,
    pub id_number: String,
    pub authority: String,
    pub valid_from: Date,
    pub valid_to: Validity,
}

impl std::fmt::Debug for SyntheticPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Synthetic, but the same habit as real records: no personal fields in logs.
        f.debug_struct("SyntheticPerson")
            .field("sex", &self.sex)
            .finish_non_exhaustive()
    }
}

fn pick<'a, T>(rng: &mut dyn RngCore, items: &'a [T]) -> &'a T {
    &items[(rng.next_u32() as usize) % items.len()]
}

fn below(rng: &mut dyn RngCore, n: u32) -> u32 {
    rng.next_u32() % n.max(1)
}

impl SyntheticPerson {
    /// A new person born between 1960 and 2006, with a card valid on `today` (issued up to ten
    /// years before it; 10- or 20-year validity by age, long-term from 46).
    pub fn generate(rng: &mut dyn RngCore, today: Date) -> SyntheticPerson {
        let sex = if below(rng, 2) == 0 {
            Sex::Male
        } else {
            Sex::Female
        };
        let surname = *pick(rng, &SURNAMES);
        let given_len = if below(rng, 3) == 0 { 1 } else { 2 };
        let mut name = surname.to_owned();
        for _ in 0..given_len {
            let part: &&str = pick(rng, &GIVEN);
            name.push_str(part);
        }
        let total: u32 = ETHNICITY_WEIGHTS.iter().map(|(_, weight)| weight).sum();
        let mut roll = below(rng, total);
        let mut ethnicity = Ethnicity::from_code(1);
        for (code, weight) in ETHNICITY_WEIGHTS {
            if roll < weight {
                ethnicity = Ethnicity::from_code(code);
                break;
            }
            roll -= weight;
        }
        let first = Date::from_ymd_opt(1960, 1, 1).unwrap_or_default();
        let days = Date::from_ymd_opt(2006, 12, 31)
            .unwrap_or_default()
            .signed_duration_since(first)
            .num_days()
            .max(1) as u32;
        let birth_date = first + chrono::Days::new(u64::from(below(rng, days)));
        let (region, place) = *pick(rng, &REGIONS);
        let address = match below(rng, 3) {
            0 => format!("{place}{}{}号", pick(rng, &STREETS), 1 + below(rng, 399)),
            1 => format!(
                "{place}{}{}号{}栋{}单元{}室",
                pick(rng, &STREETS),
                1 + below(rng, 199),
                1 + below(rng, 30),
                1 + below(rng, 6),
                101 + below(rng, 30) * 100 + below(rng, 4)
            ),
            _ => format!(
                "{place}{}{}号附{}号",
                pick(rng, &STREETS),
                1 + below(rng, 99),
                1 + below(rng, 20)
            ),
        };
        // The sequence's last digit: odd for men, even for women.
        let mut sequence = below(rng, 1000);
        if (sequence % 2 == 1) != (sex == Sex::Male) {
            sequence = (sequence + 1) % 1000;
        }
        let body = format!("{region}{}{sequence:03}", birth_date.format("%Y%m%d"));
        let check = check_character(&body).unwrap_or('0');
        let id_number = format!("{body}{check}");
        let age_at = |date: Date| {
            use chrono::Datelike;
            let years = date.year() - birth_date.year();
            if (date.month(), date.day()) < (birth_date.month(), birth_date.day()) {
                years - 1
            } else {
                years
            }
        };
        let issued_days_ago = u64::from(below(rng, 9 * 365));
        let mut valid_from = today - chrono::Days::new(issued_days_ago);
        if valid_from < birth_date + chrono::Days::new(16 * 365) {
            valid_from = today;
        }
        let age = age_at(valid_from);
        let valid_to = if age >= 46 {
            Validity::LongTerm
        } else {
            let years = if age >= 26 { 20 } else { 10 };
            Validity::Until(
                valid_from
                    .checked_add_months(chrono::Months::new(12 * years))
                    .unwrap_or(valid_from),
            )
        };
        let authority = format!("{}公安局", police_of(place));
        SyntheticPerson {
            name,
            sex,
            ethnicity,
            birth_date,
            address,
            id_number,
            authority,
            valid_from,
            valid_to,
        }
    }

    /// The card this person would carry (no photo: the caller adds one).
    pub fn card(&self) -> IdCard {
        IdCard {
            card_type: CardType::Resident,
            name: PersonName::new(&self.name),
            name_en: None,
            sex: self.sex,
            ethnicity: Some(self.ethnicity),
            birth_date: self.birth_date,
            address: Some(self.address.clone()),
            extra_addresses: Vec::new(),
            number: self.id_number.clone(),
            authority: self.authority.clone(),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            permit_number: None,
            issue_count: None,
            nationality: None,
            photo: CardPhoto::Missing,
        }
    }
}

/// The issuing police bureau's place: the city or county part of the address prefix.
fn police_of(place: &str) -> String {
    // "湖北省武汉市江岸区" → "武汉市江岸区"; "北京市朝阳区" stays.
    match place.find('省').or_else(|| place.find("自治区")) {
        Some(index) => {
            let rest = &place[index..];
            let skip = rest.chars().next().map_or(0, char::len_utf8);
            let rest = &rest[skip..];
            rest.strip_prefix("治区").unwrap_or(rest).to_owned()
        }
        None => place.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id_number::IdNumber;
    use rand::SeedableRng;

    #[test]
    fn every_person_has_a_valid_number_that_agrees_with_the_card() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let today = Date::from_ymd_opt(2027, 4, 17).unwrap();
        let mut names = std::collections::HashSet::new();
        for _ in 0..2000 {
            let person = SyntheticPerson::generate(&mut rng, today);
            let number = IdNumber::parse(&person.id_number).unwrap();
            assert_eq!(number.birth_date(), person.birth_date);
            assert_eq!(number.sex(), person.sex);
            assert!(
                (2..=4).contains(&person.name.chars().count()),
                "{}",
                person.name
            );
            assert!(person.ethnicity.is_known());
            assert!(person.address.chars().count() <= 40, "{}", person.address);
            assert!(person.authority.ends_with("公安局") && !person.authority.contains('省'));
            let card = person.card();
            assert_eq!(card.check(today), Ok(()), "{:?}", card.valid_to);
            names.insert(person.name.clone());
        }
        assert!(
            names.len() > 1000,
            "names repeat too often: {}",
            names.len()
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_people() {
        let today = Date::from_ymd_opt(2027, 4, 17).unwrap();
        let people = |seed| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            (0..20)
                .map(|_| SyntheticPerson::generate(&mut rng, today))
                .collect::<Vec<_>>()
        };
        assert!(people(3) == people(3));
        assert!(people(3) != people(4));
    }

    #[test]
    fn check_character_needs_seventeen_digits() {
        assert_eq!(check_character("11010519491231002"), Some('X'));
        assert_eq!(check_character("1101051949123100"), None);
        assert_eq!(check_character("1101051949123100a"), None);
    }
}
