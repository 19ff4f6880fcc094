//! Deals and leads of the ledger: credited won and lost counts on final closes, win rate, won
//! amounts per currency, time to close per deal, lead cohorts.

use super::*;

#[tokio::test]
async fn deals_count_credited_shares_of_final_closes_and_time_to_close_per_deal() {
    let suite = spawn_suite().await;
    ledger(&suite).await;
    let mut c = Checks::default();
    // FY2026-Q3 in IDR. Final closes in Q3: d1 won 1 Dec (ana 60 / budi 40, 10,000 IDR), d2 won
    // 20 Nov (ana 50 / citra 50, 2,000 USD), d4 won 15 Dec (citra, 3,000 IDR, its 5 Oct loss
    // counts nowhere), d5 lost 12 Nov (ana, 5,000 IDR). Days to close: d1 7 Oct → 1 Dec = 55,
    // d2 10 Oct → 20 Nov = 41, d4 1 Aug → 15 Dec = 31 + 30 + 31 + 30 + 14 = 136.
    // (owner, won, lost, deals_won, deals_lost, win %, IDR won amount, IDR average, mean s, median s)
    for (owner, won, lost, won_int, lost_int, rate, won_amount, average, mean, median) in [
        // 0.6 + 0.5 = 1.1 won, 1 lost: 1.1 / 2.1 = 52.3810%; 60% × 10,000 = 6,000 / 0.6 = 10,000;
        // d1 and d2: (55 + 41) / 2 = 48 days.
        (
            "members/ana",
            "1.1",
            "1",
            1,
            1,
            "52.381",
            "6000",
            "10000",
            48 * DAY,
            48 * DAY,
        ),
        // 0.4 won (rounds to 0), none lost: 100%; 4,000 / 0.4 = 10,000; d1 alone, 55 days.
        (
            "members/budi",
            "0.4",
            "0",
            0,
            0,
            "100",
            "4000",
            "10000",
            55 * DAY,
            55 * DAY,
        ),
        // 0.5 + 1 = 1.5 (rounds half away to 2); d4 3,000 / 1; d2 and d4: (41 + 136) / 2 = 88.5 days.
        (
            "members/citra",
            "1.5",
            "0",
            2,
            0,
            "100",
            "3000",
            "3000",
            88 * DAY + DAY / 2,
            88 * DAY + DAY / 2,
        ),
        ("members/dewi", "0", "0", 0, 0, "", "0", "", 0, 0),
        // d1 once (1) + d2's 0.5 = 1.5 won, d5 lost: 1.5 / 2.5 = 60%; 10,000 / 1; d1, d2: 48 days.
        (
            "teams/emea",
            "1.5",
            "1",
            2,
            1,
            "60",
            "10000",
            "10000",
            48 * DAY,
            48 * DAY,
        ),
        ("teams/uk", "0.4", "0", 0, 0, "100", "4000", "10000", 55 * DAY, 55 * DAY),
        (
            "teams/apac",
            "1.5",
            "0",
            2,
            0,
            "100",
            "3000",
            "3000",
            88 * DAY + DAY / 2,
            88 * DAY + DAY / 2,
        ),
        // 3 won, 1 lost: 75%; 13,000 IDR over d1 + d4 = 2 deals: 6,500; (55 + 41 + 136) / 3 =
        // 77⅓ days = 77 d 8 h; median 55 days.
        ("", "3", "1", 3, 1, "75", "13000", "6500", 77 * DAY + 8 * 3600, 55 * DAY),
    ] {
        let k = read(&suite, owner, "FY2026-Q3", "IDR", None).await;
        let who = format!("{owner:?} Q3");
        c.ratio(&format!("{who} won deals"), &k.won_deal_count, won);
        c.ratio(&format!("{who} lost deals"), &k.lost_deal_count, lost);
        #[allow(deprecated)]
        let (deals_won, deals_lost) = (k.deals_won, k.deals_lost);
        c.int(&format!("{who} deals_won"), deals_won, won_int);
        c.int(&format!("{who} deals_lost"), deals_lost, lost_int);
        c.cash(&format!("{who} won amount"), &k.won_amount, won_amount);
        if rate.is_empty() {
            c.unset(&format!("{who} win rate"), &k.win_rate_percent);
            c.unset(&format!("{who} average deal size"), &k.average_deal_size);
            c.unset(&format!("{who} mean time to close"), &k.average_time_to_close);
        } else {
            c.ratio(&format!("{who} win rate"), &k.win_rate_percent, rate);
            c.cash(&format!("{who} average deal size"), &k.average_deal_size, average);
            c.seconds(&format!("{who} mean time to close"), &k.average_time_to_close, mean);
            c.seconds(&format!("{who} median time to close"), &k.median_time_to_close, median);
        }
    }
    // d2 in USD, read without a currency: ana and citra 50% × 2,000 = 1,000 / 0.5 = 2,000; the
    // tenant 2,000 / 1 = 2,000.
    for (owner, won_amount) in [
        ("members/ana", "1000"),
        ("members/citra", "1000"),
        ("teams/emea", "1000"),
        ("", "2000"),
    ] {
        let k = read(&suite, owner, "FY2026-Q3", "", None).await;
        let usd = in_currency(&k, "USD");
        c.cash(&format!("{owner:?} Q3 USD won amount"), &usd.won_amount, won_amount);
        c.cash(
            &format!("{owner:?} Q3 USD average deal"),
            &usd.average_deal_size,
            "2000",
        );
    }
    // By month: October holds only d4's loss, which its reopening erased; November d2 won and d5
    // lost (50%); December d1 and d4 won, 10,000 + 3,000 IDR.
    let october = read(&suite, "members/citra", "FY2026-M07", "IDR", None).await;
    c.ratio("citra M07 lost", &october.lost_deal_count, "0");
    c.ratio("citra M07 won", &october.won_deal_count, "0");
    c.unset("citra M07 win rate", &october.win_rate_percent);
    let november = read(&suite, "", "FY2026-M08", "IDR", None).await;
    c.ratio("tenant M08 won", &november.won_deal_count, "1");
    c.ratio("tenant M08 lost", &november.lost_deal_count, "1");
    c.ratio("tenant M08 win rate", &november.win_rate_percent, "50");
    c.cash("tenant M08 IDR won amount (d2 is USD)", &november.won_amount, "0");
    let december = read(&suite, "", "FY2026-M09", "IDR", None).await;
    c.ratio("tenant M09 won", &december.won_deal_count, "2");
    c.ratio("tenant M09 win rate", &december.win_rate_percent, "100");
    c.cash("tenant M09 won amount", &december.won_amount, "13000");
    c.done(80);
}

#[tokio::test]
async fn lead_cohorts_follow_the_local_day_a_lead_was_created() {
    let suite = spawn_suite().await;
    ledger(&suite).await;
    let mut c = Checks::default();
    // Q3 leads: l1 (ana, 5 Oct, converted 7 Oct: 2 days), l2 (ana, 00:30 on 1 Nov local, open),
    // l4 (citra, 30 Oct, converted 3 Nov: 4 days). l3 (citra) came at 23:30 on 30 Sep local: Q2.
    // (owner, period, created, converted, conversion %, mean s, median s)
    for (owner, period, created, converted, percent, mean, median) in [
        ("members/ana", "FY2026-Q3", 2, 1, "50", 2 * DAY, 2 * DAY),
        ("members/citra", "FY2026-Q3", 1, 1, "100", 4 * DAY, 4 * DAY),
        // 2 of 3 = 66.6667%; (2 + 4) / 2 = 3 days, median of two = 3 days.
        ("", "FY2026-Q3", 3, 2, "66.6667", 3 * DAY, 3 * DAY),
        ("teams/emea", "FY2026-Q3", 2, 1, "50", 2 * DAY, 2 * DAY),
        // l3: 16:30 30 Sep → 04:30 10 Oct (UTC) = 9.5 days, converted after Q2 but in its cohort.
        (
            "members/citra",
            "FY2026-Q2",
            1,
            1,
            "100",
            9 * DAY + DAY / 2,
            9 * DAY + DAY / 2,
        ),
        ("members/ana", "FY2026-M08", 1, 0, "0", 0, 0),
        ("members/ana", "FY2026-M07", 1, 1, "100", 2 * DAY, 2 * DAY),
    ] {
        let k = read(&suite, owner, period, "IDR", None).await;
        let who = format!("{owner:?} {period}");
        let cohort = k.lead_cohort.clone().unwrap_or_default();
        c.int(&format!("{who} leads created"), k.leads_created, created);
        c.int(&format!("{who} cohort leads"), cohort.leads, created);
        c.int(&format!("{who} cohort converted"), cohort.converted, converted);
        c.ratio(&format!("{who} conversion %"), &cohort.conversion_percent, percent);
        if converted == 0 {
            c.unset(&format!("{who} mean time to convert"), &cohort.average_time_to_convert);
        } else {
            c.seconds(
                &format!("{who} mean time to convert"),
                &cohort.average_time_to_convert,
                mean,
            );
            c.seconds(
                &format!("{who} median time to convert"),
                &cohort.median_time_to_convert,
                median,
            );
        }
    }
    let dewi = read(&suite, "members/dewi", "FY2026-Q3", "IDR", None).await;
    c.int("dewi Q3 leads", dewi.leads_created, 0);
    c.unset(
        "dewi Q3 conversion %",
        &dewi.lead_cohort.unwrap_or_default().conversion_percent,
    );
    c.done(40);
}
