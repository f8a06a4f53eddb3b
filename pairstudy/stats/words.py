"""The words the stored statistics use in their text columns, defined once for the code that writes and reads them."""

MIN_SEEDS = 3  # fewer finished seeds give no interval
TOO_FEW_SEEDS = "too few seeds"  # the `note` of a row without an interval for that reason
PLANNED_POWER = 0.8  # the power the seeds a comparison needs are planned for

# the `kind` of a row of the baselines table
BASELINE = "baseline"
LEADER_VS_BASELINE = "leader vs baseline"
LEADER_VS_RUNNER_UP = "leader vs runner-up"

# the `verdict` of a stored difference: what its family-wise interval shows (stats.families.verdict_of)
HIGHER = "higher"
LOWER = "lower"
EQUIVALENT = "equivalent"  # the interval lies within +/- the smallest difference worth finding
INCONCLUSIVE = "inconclusive"

# the families of comparisons a study tests, in the order a comparison is claimed by the first that holds it
ONE_FACTOR = "one factor apart"
AGAINST_BASELINES = "against the baselines"
BEST = "the best against the baselines and the runner-up"
FACTOR_EFFECTS = "factor effects"
FAMILIES = (ONE_FACTOR, AGAINST_BASELINES, BEST, FACTOR_EFFECTS)

# the intervals table's chosen_on: what the best configuration was chosen on (stats.selection)
CHOSEN_ON_VALIDATION = "validation"
CHOSEN_ON_TEST = "test"
