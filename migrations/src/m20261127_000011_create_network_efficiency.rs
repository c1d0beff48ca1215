//! The network efficiency job's figures per tenant, district (`''` = the whole network),
//! period (`hour` / `day`) and period start; recomputed in place while late data arrives.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NetworkEfficiency {
    Table,
    TenantId,
    District,
    Period,
    Start,
    HoursCovered,
    InputM3,
    MeteredM3,
    NrwM3,
    NrwPct,
    NrwLConnDay,
    MnfLps,
    NnfLps,
    RealLossesM3,
    UarlM3,
    Ili,
    AvgPressureBar,
    ComputedAt,
}

fn number(col: NetworkEfficiency) -> ColumnDef {
    ColumnDef::new(col).double().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use NetworkEfficiency as N;
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .col(ColumnDef::new(N::TenantId).big_integer().not_null())
                    .col(ColumnDef::new(N::District).string_len(255).not_null())
                    .col(ColumnDef::new(N::Period).string_len(8).not_null())
                    .col(
                        ColumnDef::new(N::Start)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(N::HoursCovered).integer().not_null())
                    .col(ColumnDef::new(N::InputM3).double().not_null())
                    .col(number(N::MeteredM3))
                    .col(number(N::NrwM3))
                    .col(number(N::NrwPct))
                    .col(number(N::NrwLConnDay))
                    .col(number(N::MnfLps))
                    .col(number(N::NnfLps))
                    .col(number(N::RealLossesM3))
                    .col(number(N::UarlM3))
                    .col(number(N::Ili))
                    .col(number(N::AvgPressureBar))
                    .col(
                        ColumnDef::new(N::ComputedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(N::TenantId)
                            .col(N::District)
                            .col(N::Period)
                            .col(N::Start),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NetworkEfficiency::Table).to_owned())
            .await
    }
}
