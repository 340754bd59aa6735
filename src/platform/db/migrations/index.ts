import type { Migration } from 'kysely';
import * as m0001 from './0001_workspaces.js';
import * as m0002 from './0002_data_center.js';
import * as m0003 from './0003_profile_redirects_index.js';
import * as m0004 from './0004_profile_change_claims.js';
import * as m0005 from './0005_profile_view_function.js';
import * as m0006 from './0006_ingest_tables_without_workspace_fk.js';
import * as m0007 from './0007_ingest_hot_updates.js';
import * as m0008 from './0008_ingest_intake.js';
import * as m0009 from './0009_ingest_request_ip.js';
import * as m0010 from './0010_profile_view_conflicts_by_identifier.js';
import * as m0011 from './0011_identifiers_member_profile.js';
import * as m0012 from './0012_identifiers_known_profile.js';
import * as m0100 from './0100_tags_segments_lifecycle.js';
import * as m0101 from './0101_profile_change_scope.js';
import * as m0102 from './0102_realtime_profile_lookups.js';
import * as m0120 from './0120_rules_window_indexes.js';
import * as m0121 from './0121_rules_rows_without_workspace_fk.js';
import * as m0122 from './0122_rules_daily_runs.js';
import * as m0123 from './0123_tag_assignments_without_tag_fk.js';
import * as m0124 from './0124_profile_change_queue_order.js';
import * as m0125 from './0125_moved_rows_origin_indexes.js';
import * as m0126 from './0126_profile_change_queue_index.js';
import * as m0127 from './0127_lifecycle_history_origin_index.js';
import * as m0128 from './0128_tag_history_by_tag.js';
import * as m0200 from './0200_channels.js';
import * as m0201 from './0201_templates.js';
import * as m0250 from './0250_journeys.js';
import * as m0251 from './0251_journey_cursor_gaps.js';
import * as m0252 from './0252_journey_layout.js';
import * as m0253 from './0253_journey_entry_origin.js';
import * as m0254 from './0254_journey_steps_keys.js';
import * as m0255 from './0255_journey_rows_without_workspace_fk.js';
import * as m0256 from './0256_journey_step_closing.js';
import * as m0257 from './0257_journey_outbox_profile.js';
import * as m0401 from './0401_console_users.js';
import * as m0300 from './0300_points.js';
import * as m0301 from './0301_coupons.js';
import * as m0302 from './0302_members.js';
import * as m0303 from './0303_points_functions.js';
import * as m0304 from './0304_points_batch.js';
import * as m0305 from './0305_order_grant_revision.js';
import * as m0306 from './0306_loyalty_daily_runs.js';
import * as m0307 from './0307_order_grant_basis.js';
import * as m0402 from './0402_overview_daily.js';
import * as m0403 from './0403_orders_drop_duplicate_time_index.js';
import * as m0404 from './0404_identifiers_member_first_seen.js';

/**
 * Every migration, in order. Ranges keep parallel work apart: 00xx data center, 01xx rules, 02xx journeys and
 * channels, 03xx loyalty, 04xx console and users. Imported statically so they run the same under tsx and bundles.
 */
export const migrations: Record<string, Migration> = {
  '0001_workspaces': m0001,
  '0002_data_center': m0002,
  '0003_profile_redirects_index': m0003,
  '0004_profile_change_claims': m0004,
  '0005_profile_view_function': m0005,
  '0006_ingest_tables_without_workspace_fk': m0006,
  '0007_ingest_hot_updates': m0007,
  '0008_ingest_intake': m0008,
  '0009_ingest_request_ip': m0009,
  '0010_profile_view_conflicts_by_identifier': m0010,
  '0011_identifiers_member_profile': m0011,
  '0012_identifiers_known_profile': m0012,
  '0100_tags_segments_lifecycle': m0100,
  '0101_profile_change_scope': m0101,
  '0102_realtime_profile_lookups': m0102,
  '0120_rules_window_indexes': m0120,
  '0121_rules_rows_without_workspace_fk': m0121,
  '0122_rules_daily_runs': m0122,
  '0123_tag_assignments_without_tag_fk': m0123,
  '0124_profile_change_queue_order': m0124,
  '0125_moved_rows_origin_indexes': m0125,
  '0126_profile_change_queue_index': m0126,
  '0127_lifecycle_history_origin_index': m0127,
  '0128_tag_history_by_tag': m0128,
  '0200_channels': m0200,
  '0201_templates': m0201,
  '0250_journeys': m0250,
  '0251_journey_cursor_gaps': m0251,
  '0252_journey_layout': m0252,
  '0253_journey_entry_origin': m0253,
  '0254_journey_steps_keys': m0254,
  '0255_journey_rows_without_workspace_fk': m0255,
  '0256_journey_step_closing': m0256,
  '0257_journey_outbox_profile': m0257,
  '0401_console_users': m0401,
  '0300_points': m0300,
  '0301_coupons': m0301,
  '0302_members': m0302,
  '0303_points_functions': m0303,
  '0304_points_batch': m0304,
  '0305_order_grant_revision': m0305,
  '0306_loyalty_daily_runs': m0306,
  '0307_order_grant_basis': m0307,
  '0402_overview_daily': m0402,
  '0403_orders_drop_duplicate_time_index': m0403,
  '0404_identifiers_member_first_seen': m0404,
};
