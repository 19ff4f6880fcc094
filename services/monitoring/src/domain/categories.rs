//! Which product categories a SKU counts in: its own and every one above it, as inventory's
//! category filter (and so a GetKpis category scope) counts a category's sub-categories.

use std::collections::HashMap;

/// Each categorised SKU's categories, its own first, then its ancestors upward. `products` pairs a
/// SKU with its category id (empty: none); `parents` maps each category to its parent. A cycle in
/// bad data ends the walk instead of looping; SKUs without a category are absent.
pub fn sku_categories<'a>(
    products: impl IntoIterator<Item = (&'a str, &'a str)>,
    parents: &HashMap<String, Option<String>>,
) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    for (sku, category) in products {
        if category.is_empty() {
            continue;
        }
        let mut chain = vec![category.to_owned()];
        let mut next = parents.get(category).cloned().flatten();
        while let Some(parent) = next {
            if chain.contains(&parent) {
                break;
            }
            next = parents.get(&parent).cloned().flatten();
            chain.push(parent);
        }
        out.insert(sku.to_owned(), chain);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(pairs: &[(&str, Option<&str>)]) -> HashMap<String, Option<String>> {
        pairs
            .iter()
            .map(|(id, parent)| ((*id).to_owned(), parent.map(str::to_owned)))
            .collect()
    }

    #[test]
    fn a_sku_counts_in_its_category_and_every_one_above() {
        let parents = tree(&[("hardware", None), ("laptops", Some("hardware")), ("phones", None)]);
        let found = sku_categories([("LAP-1", "laptops"), ("PH-1", "phones"), ("CABLE", "")], &parents);
        assert_eq!(found["LAP-1"], ["laptops", "hardware"]);
        assert_eq!(found["PH-1"], ["phones"]);
        assert!(!found.contains_key("CABLE"), "uncategorised SKUs are in no category");
    }

    #[test]
    fn a_cycle_in_the_tree_ends_the_walk() {
        let parents = tree(&[("a", Some("b")), ("b", Some("a"))]);
        let found = sku_categories([("X", "a")], &parents);
        assert_eq!(found["X"], ["a", "b"]);
    }
}
