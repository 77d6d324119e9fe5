"""The training-job simulator: a year of gang-scheduled training jobs at the core campuses
(EASY backfill, checkpoint/restart on GPU failures, useful vs lost GPU-hours, energy).
"""
