//! The people the simulated systems know from the start: the families of
//! the example applications (so the examples' prefill and registration
//! find them) and a few dozen generated Xiamen households with valid
//! resident ID numbers, plus one household outside Xiamen.
//!
//! Not anyone's data: the generated names and numbers are made up, and
//! the same on every start.

use onething_idcodes::resident_id;

/// A household as seeded.
#[derive(Debug, Clone)]
pub struct SeedHousehold {
    /// The household register number.
    pub number: String,
    /// The head of household's name.
    pub head_name: String,
    /// The registered address.
    pub address: String,
    /// The district's region code.
    pub district: String,
    /// Members: resident ID number and name.
    pub members: Vec<(String, String)>,
}

/// A person registered outside Xiamen (Fuzhou, Gulou district), whose
/// newborn this registry cannot register.
pub const OUTSIDER_ID: &str = "35010219870712001X";

/// Xiamen's districts: region code, name, a street.
const DISTRICTS: [(&str, &str, &str); 6] = [
    ("350203", "思明区", "中山路"),
    ("350205", "海沧区", "海沧大道"),
    ("350206", "湖里区", "金湖路"),
    ("350211", "集美区", "集美大道"),
    ("350212", "同安区", "环城南路"),
    ("350213", "翔安区", "翔安南路"),
];

const SURNAMES: [&str; 10] = ["林", "陈", "黄", "张", "李", "王", "吴", "刘", "蔡", "杨"];
const GIVEN: [&str; 10] = [
    "志明", "丽娟", "建国", "秀英", "伟", "芳", "海峰", "雅婷", "文杰", "美玲",
];

/// How many households are generated beside the examples' own.
pub const GENERATED: usize = 40;

/// `first17` with its check character.
pub fn valid_id(first17: &str) -> String {
    let check = resident_id::check_char(first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// Every seeded household.
pub fn households() -> Vec<SeedHousehold> {
    let mut all = vec![
        SeedHousehold {
            number: "350206-000001".into(),
            head_name: "林志远".into(),
            address: "福建省厦门市湖里区金山街道金湖路88号".into(),
            district: "350206".into(),
            members: vec![
                ("350206198811230519".into(), "林志远".into()),
                ("350203199003071527".into(), "陈静".into()),
            ],
        },
        SeedHousehold {
            number: "350211-000001".into(),
            head_name: "黄志强".into(),
            address: "福建省厦门市集美区集美大道1号".into(),
            district: "350211".into(),
            members: vec![("350211198506150038".into(), "黄志强".into())],
        },
        SeedHousehold {
            number: "350102-000001".into(),
            head_name: "郑明".into(),
            address: "福建省福州市鼓楼区五四路10号".into(),
            district: "350102".into(),
            members: vec![(OUTSIDER_ID.into(), "郑明".into())],
        },
    ];
    for i in 0..GENERATED {
        let (district, district_name, street) = DISTRICTS[i % DISTRICTS.len()];
        let year = 1965 + (i * 7) % 35;
        let month = 1 + (i * 5) % 12;
        let day = 1 + (i * 11) % 28;
        // Sequences from 100 up, clear of the examples' and of newborns'.
        let head_seq = 101 + 2 * i;
        let partner_seq = 102 + 2 * i;
        let head = valid_id(&format!("{district}{year}{month:02}{day:02}{head_seq:03}"));
        let partner = valid_id(&format!(
            "{district}{}{month:02}{day:02}{partner_seq:03}",
            year + 2
        ));
        let head_name = format!("{}{}", SURNAMES[i % 10], GIVEN[(i * 3) % 10]);
        let partner_name = format!("{}{}", SURNAMES[(i + 3) % 10], GIVEN[(i * 7 + 1) % 10]);
        all.push(SeedHousehold {
            number: format!("{district}-{:06}", i + 2),
            head_name: head_name.clone(),
            address: format!("福建省厦门市{district_name}{street}{}号", 10 + i * 3),
            district: district.into(),
            members: vec![(head, head_name), (partner, partner_name)],
        });
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seeded_number_is_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        let all = households();
        assert_eq!(all.len(), GENERATED + 3);
        for h in &all {
            assert!(!h.members.is_empty());
            for (id, _) in &h.members {
                assert!(resident_id::validate(id).is_ok(), "{id}");
                assert!(seen.insert(id.clone()), "twice: {id}");
            }
        }
        assert!(resident_id::validate(OUTSIDER_ID).is_ok());
    }
}
