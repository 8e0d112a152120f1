# "6 déc. 2026": the same order as English; Django abbreviates the month the French way
# (N: "déc.", "mai", "sept."), where M would give "Déc".
DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y, H:i"
SHORT_DATE_FORMAT = "j N Y"
SHORT_DATETIME_FORMAT = "j N Y, H:i"
MONTH_DAY_FORMAT = "j N"
