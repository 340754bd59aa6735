#!/usr/bin/env bash
# Times the console's one-profile / one-page GET routes against a running `siyu serve` on the workspace that
# bench/scale-audit-seed.ts builds: each route 5 times, prints the median and the slowest in ms.
#   bench/scale-audit-routes.sh PORT ADMIN_TOKEN MEMBER_PROFILE_ID OTHER_PROFILE_ID MEMBER_NO [TAG_ID SEGMENT_ID JOURNEY_ID]
set -euo pipefail
PORT=$1 TOKEN=$2 MEMBER=$3 OTHER=$4 MEMBER_NO=$5 TAG=${6:-none} SEGMENT=${7:-none} JOURNEY=${8:-none}
FROM=$(date -u -d '-30 days' +%F) TO=$(date -u -d '+1 day' +%F)
BASE="http://127.0.0.1:$PORT"
routes=(
  "/api/v1/profiles/$MEMBER"
  "/api/v1/profiles/$OTHER"
  "/api/v1/profiles/lookup?type=member_no&value=$MEMBER_NO"
  "/api/v1/profiles/lookup?type=userId&value=bench-u1000"
  "/api/v1/profiles/$MEMBER/events"
  "/api/v1/profiles/$OTHER/events"
  "/api/v1/profiles?limit=50"
  "/api/v1/profiles?limit=50&kind=all"
  "/api/v1/profiles?limit=50&kind=members"
  "/api/v1/profiles?limit=50&kind=known"
  "/api/v1/profiles?limit=50&kind=anonymous"
  "/api/v1/profiles?limit=50&q=%E7%8E%8B"
  "/api/v1/profiles?limit=50&q=$MEMBER_NO"
  "/api/v1/profiles?limit=50&q=nobody-matches-this"
  "/api/v1/profiles?limit=50&q=%E7%8E%8B&kind=members"
  "/api/v1/orders?profileId=$MEMBER&limit=50"
  "/api/v1/orders?limit=50"
  "/api/v1/loyalty/members/$MEMBER"
  "/api/v1/loyalty/members/$MEMBER/tier-history"
  "/api/v1/loyalty/members/by-number/$MEMBER_NO"
  "/api/v1/loyalty/points/$MEMBER"
  "/api/v1/loyalty/points/$MEMBER/entries"
  "/api/v1/loyalty/coupons?profileId=$MEMBER"
  "/api/v1/profiles/$MEMBER/tags"
  "/api/v1/profiles/$MEMBER/segments"
  "/api/v1/profiles/$MEMBER/journeys"
  "/api/v1/profiles/$MEMBER/lifecycle"
  "/api/v1/profiles/$OTHER/tags"
  "/api/v1/profiles/$OTHER/segments"
  "/api/v1/profiles/$OTHER/journeys"
  "/api/v1/profiles/$OTHER/lifecycle"
  "/api/v1/deliveries?profileId=$MEMBER"
  "/api/v1/imports"
  "/api/v1/stats/overview"
  "/api/v1/events/schema"
  "/api/v1/reports/aipl?from=$FROM&to=$TO"
  "/api/v1/reports/rfm"
  "/api/v1/reports/journeys"
  "/api/v1/journeys"
  "/api/v1/journeys/totals"
  "/api/v1/tags?limit=50"
  "/api/v1/tag-groups"
  "/api/v1/segments?limit=50"
  "/api/v1/loyalty/coupon-templates"
  "/api/v1/loyalty/coupon-campaigns"
  "/api/v1/loyalty/reports/points-liability"
  "/api/v1/loyalty/reports/points-flow?from=$FROM&to=$TO"
  "/api/v1/loyalty/reports/coupon-funnel"
  "/api/v1/loyalty/reports/tiers?from=$FROM&to=$TO"
  "/api/v1/tags/$TAG"
  "/api/v1/tags/$TAG/history"
  "/api/v1/segments/$SEGMENT"
  "/api/v1/segments/$SEGMENT/members"
  "/api/v1/segments/$SEGMENT/trend"
  "/api/v1/overlap?refs=tag:$TAG,segment:$SEGMENT"
  "/api/v1/journeys/$JOURNEY"
  "/api/v1/journeys/$JOURNEY/stats"
  "/api/v1/journeys/$JOURNEY/entries"
  "/api/v1/identifier-settings"
  "/api/v1/channels"
  "/api/v1/templates"
)
for r in "${routes[@]}"; do
  times=()
  code=""
  for _ in 1 2 3 4 5; do
    out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $TOKEN" "$BASE$r")
    code=${out% *}
    times+=("${out#* }")
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | sed -n 3p)
  max=$(echo "$sorted" | tail -1)
  printf '%-70s %s %8.1f ms (max %.1f)\n' "$r" "$code" "$(echo "$median * 1000" | bc)" "$(echo "$max * 1000" | bc)"
done
