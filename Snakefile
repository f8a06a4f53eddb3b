# pairstudy: config.yaml -> grid -> training jobs -> tables -> charts -> report.
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

sys.path.insert(0, workflow.basedir)
from pairstudy.study import read_yaml

# an empty or list-shaped config.yaml refused naming the file and what it needs (Snakemake's own reading says only
# "Config file must be given as JSON or YAML with keys at top level"); a missing one is Snakemake's to judge
if Path("config.yaml").exists():
    read_yaml("config.yaml")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/tuning.smk"
include: "workflow/rules/seeds.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        get_final_output(),
