//! The farming activities a `FarmRecord` names, with the words people write for them.

use serde::{Deserialize, Serialize};

/// A farming activity. `FarmRecord::activity` stores its key, so the keys are a data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    Fertilizing,
    /// Spraying a pesticide; carries the pesticide, the dose and the pre-harvest interval.
    Spraying,
    /// Picking the fruit; carries the quantity and grade.
    Harvest,
    Irrigation,
    Pruning,
    Weeding,
    /// Putting paper bags on the fruit (kiwi, apple, mango).
    Bagging,
}

impl Activity {
    pub const ALL: [Activity; 7] = [
        Activity::Fertilizing,
        Activity::Spraying,
        Activity::Harvest,
        Activity::Irrigation,
        Activity::Pruning,
        Activity::Weeding,
        Activity::Bagging,
    ];

    /// The stable key stored in `FarmRecord::activity`.
    pub fn key(self) -> &'static str {
        match self {
            Activity::Fertilizing => "fertilizing",
            Activity::Spraying => "spraying",
            Activity::Harvest => "harvest",
            Activity::Irrigation => "irrigation",
            Activity::Pruning => "pruning",
            Activity::Weeding => "weeding",
            Activity::Bagging => "bagging",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|activity| activity.key() == key)
    }

    /// What people write for it besides the key, Chinese first (see docs/import.md).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Activity::Fertilizing => &["施肥", "追肥", "基肥", "fertilising", "fertilize", "fertilise", "fertilizer"],
            Activity::Spraying => &["打药", "喷药", "施药", "植保", "spray", "pesticide"],
            Activity::Harvest => &["采收", "采摘", "收获", "harvesting", "picking"],
            Activity::Irrigation => &["灌溉", "浇水", "watering"],
            Activity::Pruning => &["修剪", "剪枝"],
            Activity::Weeding => &["除草"],
            Activity::Bagging => &["套袋"],
        }
    }

    /// Reads what a person wrote: a key or an alias, any case, surrounding spaces ignored.
    pub fn from_text(text: &str) -> Option<Self> {
        let text = text.trim().to_lowercase();
        Self::ALL.into_iter().find(|activity| activity.key() == text || activity.aliases().contains(&text.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_aliases_read_back_and_never_collide() {
        let mut words = Vec::new();
        for activity in Activity::ALL {
            assert_eq!(Activity::from_key(activity.key()), Some(activity));
            assert_eq!(Activity::from_text(activity.key()), Some(activity));
            for alias in activity.aliases() {
                assert_eq!(Activity::from_text(alias), Some(activity), "{alias}");
                words.push(*alias);
            }
            words.push(activity.key());
        }
        let count = words.len();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), count, "an alias names two activities");
        assert_eq!(Activity::from_text(" 喷药 "), Some(Activity::Spraying));
        assert_eq!(Activity::from_text("HARVEST"), Some(Activity::Harvest));
        assert_eq!(Activity::from_text("跳舞"), None);
    }
}
