//! Container IDs and names: Docker's name rule, random `adjective_surname` names, random IDs.

use crate::error::{Error, IoContext};

/// Checks a requested name against Docker's rule `/?[a-zA-Z0-9][a-zA-Z0-9_.-]+` and returns it
/// with its leading `/`.
pub(crate) fn validate(name: &str) -> Result<String, Error> {
    let bare = name.strip_prefix('/').unwrap_or(name);
    let mut chars = bare.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && bare.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !ok {
        return Err(Error::Invalid(format!(
            "Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )));
    }
    Ok(format!("/{bare}"))
}

/// A fresh container ID: 64 hex characters whose first 12 are not all digits (so a short ID
/// is never mistaken for a number), as moby's `GenerateRandomID`.
pub(crate) fn random_id() -> Result<String, Error> {
    loop {
        let raw = random_bytes::<32>()?;
        let id: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        if !id[..12].bytes().all(|b| b.is_ascii_digit()) {
            return Ok(id);
        }
    }
}

/// A random `adjective_surname`, with a digit appended after the first retry (moby's
/// `namesgenerator.GetRandomName`).
pub(crate) fn random_name(retry: u32) -> Result<String, Error> {
    let r = random_bytes::<3>()?;
    let left = LEFT[usize::from(r[0]) % LEFT.len()];
    let right = RIGHT[usize::from(r[1]) % RIGHT.len()];
    let mut name = format!("{left}_{right}");
    if name == "boring_wozniak" {
        // Steve Wozniak is not boring (moby's rule).
        return random_name(retry);
    }
    if retry > 0 {
        name.push(char::from(b'0' + r[2] % 10));
    }
    Ok(format!("/{name}"))
}

fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut raw = [0u8; N];
    getrandom::fill(&mut raw)
        .map_err(std::io::Error::other)
        .ctx("getting random bytes from the kernel")?;
    Ok(raw)
}

/// A selection of moby's adjectives.
const LEFT: &[&str] = &[
    "admiring",
    "adoring",
    "affectionate",
    "agitated",
    "amazing",
    "angry",
    "awesome",
    "beautiful",
    "blissful",
    "bold",
    "boring",
    "brave",
    "busy",
    "charming",
    "clever",
    "compassionate",
    "competent",
    "confident",
    "cool",
    "cranky",
    "crazy",
    "dazzling",
    "determined",
    "distracted",
    "dreamy",
    "eager",
    "ecstatic",
    "elastic",
    "elated",
    "elegant",
    "eloquent",
    "epic",
    "exciting",
    "fervent",
    "festive",
    "flamboyant",
    "focused",
    "friendly",
    "frosty",
    "funny",
    "gallant",
    "gifted",
    "goofy",
    "gracious",
    "great",
    "happy",
    "hardcore",
    "heuristic",
    "hopeful",
    "hungry",
    "infallible",
    "inspiring",
    "intelligent",
    "interesting",
    "jolly",
    "jovial",
    "keen",
    "kind",
    "laughing",
    "loving",
    "lucid",
    "magical",
    "modest",
    "musing",
    "mystifying",
    "naughty",
    "nervous",
    "nice",
    "nifty",
    "nostalgic",
    "objective",
    "optimistic",
    "peaceful",
    "pedantic",
    "pensive",
    "practical",
    "priceless",
    "quirky",
    "quizzical",
    "recursing",
    "relaxed",
    "reverent",
    "romantic",
    "sad",
    "serene",
    "sharp",
    "silly",
    "sleepy",
    "stoic",
    "strange",
    "stupefied",
    "suspicious",
    "sweet",
    "tender",
    "thirsty",
    "trusting",
    "unruffled",
    "upbeat",
    "vibrant",
    "vigilant",
    "vigorous",
    "wizardly",
    "wonderful",
    "xenodochial",
    "youthful",
    "zealous",
    "zen",
];

/// A selection of moby's scientists and hackers.
const RIGHT: &[&str] = &[
    "agnesi",
    "albattani",
    "allen",
    "archimedes",
    "babbage",
    "banach",
    "bardeen",
    "bartik",
    "bell",
    "black",
    "blackwell",
    "bohr",
    "booth",
    "bose",
    "brahmagupta",
    "brown",
    "cannon",
    "carson",
    "cerf",
    "chandrasekhar",
    "clarke",
    "curie",
    "darwin",
    "dijkstra",
    "dirac",
    "driscoll",
    "einstein",
    "elion",
    "engelbart",
    "euclid",
    "euler",
    "faraday",
    "fermat",
    "fermi",
    "feynman",
    "franklin",
    "galileo",
    "gauss",
    "goldberg",
    "goodall",
    "hamilton",
    "hawking",
    "heisenberg",
    "hermann",
    "hodgkin",
    "hoover",
    "hopper",
    "hypatia",
    "jackson",
    "jang",
    "jemison",
    "johnson",
    "kalam",
    "keller",
    "kepler",
    "khorana",
    "knuth",
    "kowalevski",
    "lamarr",
    "lamport",
    "leakey",
    "lederberg",
    "lovelace",
    "lumiere",
    "margulis",
    "mayer",
    "mccarthy",
    "mcclintock",
    "meitner",
    "mendel",
    "mirzakhani",
    "montalcini",
    "moore",
    "morse",
    "napier",
    "newton",
    "nightingale",
    "nobel",
    "noether",
    "noyce",
    "pare",
    "pascal",
    "pasteur",
    "payne",
    "perlman",
    "pike",
    "poincare",
    "ptolemy",
    "raman",
    "ride",
    "ritchie",
    "rosalind",
    "sammet",
    "shannon",
    "shockley",
    "sinoussi",
    "snyder",
    "stonebraker",
    "swanson",
    "tesla",
    "thompson",
    "torvalds",
    "turing",
    "varahamihira",
    "villani",
    "volhard",
    "wescoff",
    "wiles",
    "williams",
    "wilson",
    "wing",
    "wozniak",
    "wright",
    "yalow",
    "yonath",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_rule() {
        assert_eq!(validate("web").expect("valid"), "/web");
        assert_eq!(validate("/a.b-c_d").expect("valid"), "/a.b-c_d");
        for bad in ["a", "-x", "_x", "a b", "a/b", "", "/"] {
            let e = validate(bad).expect_err(bad);
            assert_eq!(
                e.to_string(),
                format!(
                    "Invalid container name ({bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
                )
            );
        }
    }

    #[test]
    fn random_ids_and_names() {
        let id = random_id().expect("id");
        assert_eq!(id.len(), 64);
        assert!(!id[..12].bytes().all(|b| b.is_ascii_digit()));
        let n = random_name(0).expect("name");
        assert!(validate(&n).is_ok(), "{n}");
        assert!(n.starts_with('/') && n.contains('_'));
        let n = random_name(1).expect("name");
        assert!(n.ends_with(|c: char| c.is_ascii_digit()), "{n}");
    }
}
