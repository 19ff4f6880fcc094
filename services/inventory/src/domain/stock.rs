//! The stock ledger's arithmetic: how each kind of movement changes the level.

use rust_decimal::Decimal;

/// What happened to the stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovementKind {
    Received,
    Sold,
    WrittenOff,
    Counted,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Received => "received",
            MovementKind::Sold => "sold",
            MovementKind::WrittenOff => "written_off",
            MovementKind::Counted => "counted",
        }
    }

    pub fn parse(text: &str) -> Option<MovementKind> {
        [
            MovementKind::Received,
            MovementKind::Sold,
            MovementKind::WrittenOff,
            MovementKind::Counted,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// Why a movement cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockError {
    /// It would take the level below zero, and backorders are off.
    Insufficient { available: Decimal, wanted: Decimal },
}

/// The level after a movement: received adds, sold and written off subtract, counted sets.
pub fn level_after(
    level: Decimal,
    kind: MovementKind,
    quantity: Decimal,
    allow_backorders: bool,
) -> Result<Decimal, StockError> {
    let after = match kind {
        MovementKind::Received => level + quantity,
        MovementKind::Sold | MovementKind::WrittenOff => level - quantity,
        MovementKind::Counted => quantity,
    };
    if after < Decimal::ZERO && !allow_backorders && kind != MovementKind::Counted {
        return Err(StockError::Insufficient {
            available: level,
            wanted: quantity,
        });
    }
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_kind_moves_the_level_its_way() {
        let ten = Decimal::TEN;
        assert_eq!(
            level_after(ten, MovementKind::Received, Decimal::TWO, false),
            Ok(Decimal::from(12))
        );
        assert_eq!(
            level_after(ten, MovementKind::Sold, Decimal::TWO, false),
            Ok(Decimal::from(8))
        );
        assert_eq!(
            level_after(ten, MovementKind::WrittenOff, ten, false),
            Ok(Decimal::ZERO)
        );
        assert_eq!(
            level_after(ten, MovementKind::Counted, Decimal::from(7), false),
            Ok(Decimal::from(7))
        );
        assert!(level_after(ten, MovementKind::Sold, Decimal::from(11), false).is_err());
        assert_eq!(
            level_after(ten, MovementKind::Sold, Decimal::from(11), true),
            Ok(Decimal::NEGATIVE_ONE)
        );
    }

    proptest! {
        #[test]
        fn without_backorders_the_level_never_goes_negative(
            moves in proptest::collection::vec((0usize..4, 0i64..100), 0..50)
        ) {
            let kinds = [MovementKind::Received, MovementKind::Sold, MovementKind::WrittenOff, MovementKind::Counted];
            let mut level = Decimal::ZERO;
            for (kind, quantity) in moves {
                if let Ok(after) = level_after(level, kinds[kind], Decimal::from(quantity), false) {
                    level = after;
                }
                prop_assert!(level >= Decimal::ZERO);
            }
        }
    }
}
