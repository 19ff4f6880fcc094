//! The tenant's inventory settings: sensible defaults, changed by admins only.

use lacak_proto::inventory::{GetInventorySettingsRequest, InventorySettings, UpdateInventorySettingsRequest};
use tonic::Code;

use crate::helpers::{Inventory, assert_all_ok, assert_code, check_invalid, dec, mask, spawn_app};

fn threshold(value: &str) -> UpdateInventorySettingsRequest {
    UpdateInventorySettingsRequest {
        settings: Some(InventorySettings {
            margin_threshold_percent: value.into(),
            ..Default::default()
        }),
        update_mask: mask(&["margin_threshold_percent"]),
    }
}

async fn settings(client: &mut Inventory) -> anyhow::Result<InventorySettings> {
    let answer = client
        .get_inventory_settings(GetInventorySettingsRequest {})
        .await?
        .into_inner();
    Ok(answer.settings.expect("the settings"))
}

#[tokio::test]
async fn a_new_tenant_hides_costs_from_reps_flags_under_ten_percent_and_forbids_backorders() -> anyhow::Result<()> {
    let app = spawn_app().await;

    let defaults = settings(&mut app.admin()).await?;

    assert!(!defaults.reps_see_costs);
    assert_eq!(
        defaults
            .margin_threshold_percent
            .parse::<rust_decimal::Decimal>()?
            .normalize(),
        dec("10")
    );
    assert!(!defaults.allow_backorders);
    Ok(())
}

#[tokio::test]
async fn an_admin_changes_only_the_masked_settings() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();

    let changed = admin
        .update_inventory_settings(UpdateInventorySettingsRequest {
            settings: Some(InventorySettings {
                reps_see_costs: true,
                allow_backorders: true,
                margin_threshold_percent: "99".into(),
                ..Default::default()
            }),
            update_mask: mask(&["reps_see_costs", "allow_backorders"]),
        })
        .await?
        .into_inner()
        .settings
        .expect("the settings");

    assert!(changed.reps_see_costs && changed.allow_backorders);
    assert_eq!(
        changed
            .margin_threshold_percent
            .parse::<rust_decimal::Decimal>()?
            .normalize(),
        dec("10"),
        "not in the mask"
    );
    let read = settings(&mut admin).await?;
    assert_eq!(
        (
            read.reps_see_costs,
            read.allow_backorders,
            &read.margin_threshold_percent
        ),
        (true, true, &changed.margin_threshold_percent),
        "read back as written"
    );
    Ok(())
}

#[tokio::test]
async fn the_threshold_is_a_percentage_between_minus_100_and_100() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let mut outcomes = Vec::new();
    for bad in ["", "ten", "100.01", "-100.5"] {
        let answer = admin.update_inventory_settings(threshold(bad)).await;
        outcomes.push((
            format!("{bad:?}"),
            check_invalid(answer, "settings.margin_threshold_percent"),
        ));
    }
    assert_all_ok(outcomes);

    for fine in ["-100", "100", "12.5"] {
        let set = admin
            .update_inventory_settings(threshold(fine))
            .await?
            .into_inner()
            .settings
            .expect("the settings");
        assert_eq!(
            set.margin_threshold_percent
                .parse::<rust_decimal::Decimal>()?
                .normalize(),
            dec(fine)
        );
    }
    Ok(())
}

#[tokio::test]
async fn only_an_admin_changes_the_settings() -> anyhow::Result<()> {
    let app = spawn_app().await;
    for (who, mut client) in [
        ("manager", app.manager()),
        ("rep", app.rep()),
        ("service", app.service()),
    ] {
        eprintln!("{who} changing the settings");
        assert_code(
            client.update_inventory_settings(threshold("5")).await,
            Code::PermissionDenied,
        );
    }
    let unchanged = settings(&mut app.admin()).await?;
    assert_eq!(
        unchanged
            .margin_threshold_percent
            .parse::<rust_decimal::Decimal>()?
            .normalize(),
        dec("10")
    );
    Ok(())
}
