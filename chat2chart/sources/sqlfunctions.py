# SPDX-License-Identifier: MIT
"""The functions the SQL editor may call: ordinary aggregate, math, text, date and time,
conditional, cast and window functions, and nothing else.

Anything that writes (large objects, sequences, advisory locks), runs SQL held in a string
(`ts_stat`, `query_to_xml`, `dblink`), reads files or server settings, waits, or is defined by the
customer is absent, so new or unknown functions are refused by default. Functions sqlglot models
are listed by its expression keys (the same in every dialect); the rest by name, per dialect.
"""

from __future__ import annotations

from sqlglot import exp

from chat2chart.sources.compiler import Dialect


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# sqlglot expression keys (lower-cased class names) of functions it understands.
_TYPED = _words("""
    sum avg count countif min max stddev stddevpop stddevsamp variance variancepop median groupconcat
    arrayagg logicaland logicalor corr covarpop covarsamp percentilecont percentiledisc approxdistinct
    approxquantile mode anyvalue first last bitwiseandagg bitwiseoragg bitwisexoragg regrslope
    regrintercept regrr2 regrcount regravgx regravgy argmax argmin

    abs round ceil floor trunc sqrt cbrt pow exp ln log sign greatest least rand pi widthbucket
    safedivide degrees radians sin cos tan asin acos atan atan2 factorial isnan isinf

    lower upper length bytelength bitlength substring trim replace concat concatws left right
    strposition splitpart regexpreplace regexpextract regexpsubstr regexplike regexpilike regexpcount
    initcap pad reverse md5 sha sha2 format startswith endswith repeat translate substringindex space
    ascii chr unicode hex unhex levenshtein split regexpsplit contains numbertostr tochar tonumber
    todouble

    currentdate currenttimestamp currenttime currentdatetime localtimestamp localtime timestamptrunc
    datetrunc timetrunc extract strtodate strtotime timetostr datebin justifydays justifyhours
    justifyinterval makeinterval dateadd datesub datediff timestampdiff timestampadd timestampsub
    timeadd timesub timediff lastday unixtotime timetounix strtounix unixtostr dayname monthname year
    month day dayofweek dayofweekiso dayofmonth dayofyear week weekofyear quarter hour minute second
    timestamp tsordstodate tsordstotimestamp tsordsadd tsordsdiff datestrtodate timestrtotime
    timestrtodate converttimezone utctimestamp utcdate utctime datefromparts timestampfromparts
    timefromparts date datetime time todays unixdate nextday previousday

    coalesce nullif if case nvl2 cast trycast

    rownumber rank denserank lag lead firstvalue lastvalue nthvalue ntile percentrank cumedist

    array arraysize exists jsonextract jsonextractscalar jsonbextract jsonbextractscalar
""")

# Names of ordinary functions sqlglot leaves unmodelled (it parses them as anonymous calls).
_NAMED: dict[Dialect, frozenset[str]] = {
    "postgres": _words("""
        age make_date make_time make_timestamp make_timestamptz timezone date_part isfinite to_number
        octet_length char_length character_length bit_length regexp_matches regexp_split_to_array
        string_to_array array_to_string array_length cardinality num_nulls num_nonnulls div mod
        json_array_length jsonb_array_length json_typeof jsonb_typeof every bool_and bool_or
        stddev_pop var_pop var_samp scale trim_scale gcd lcm log10 to_hex quote_ident quote_literal
    """),
    "mysql": _words("""
        now curdate curtime sysdate weekday yearweek unix_timestamp makedate maketime period_diff
        period_add time_to_sec sec_to_time from_days adddate subdate addtime subtime microsecond
        mid field find_in_set conv crc32 bin oct log10 log2 truncate mod div char_length
        character_length octet_length json_unquote json_length json_arrayagg json_objectagg ifnull
        isnull std var_samp var_pop bit_count
    """),
    # Spark: never reflect(), java_method() or try_reflect(), which call any static Java method.
    "spark": _words("""
        weekday dayofweek date_format to_date to_timestamp date_part datepart make_date
        make_timestamp unix_timestamp from_unixtime months_between add_months now curdate nvl ifnull
        nanvl pmod mod div log10 log2 char_length character_length octet_length bit_length
        percentile approx_percentile percentile_approx count_if bool_and bool_or every some any std
        var_samp var_pop skewness kurtosis collect_list collect_set array_sort slice size
    """),
    "duckdb": _words("""
        now date_part datepart date_diff datediff date_sub date_add make_date make_time make_timestamp
        epoch epoch_ms epoch_us to_timestamp strftime strptime today dayname monthname yearweek
        isodow isoyear era decade century millennium millisecond microsecond nanosecond
        quantile quantile_cont quantile_disc mad kurtosis skewness entropy fsum favg bool_and
        bool_or product bit_count list_value list_aggregate list_sort string_split regexp_matches
        regexp_full_match strip_accents nfc_normalize ilike_escape like_escape suffix prefix
        lpad rpad mod log10 log2 gamma lgamma even gcd lcm nextafter xor signbit ifnull
        len char_length octet_length array_length list_extract json_extract_string json_array_length
    """),
}


def allowed(node: exp.Func, dialect: Dialect) -> bool:
    """True when `node` is an ordinary function (or an operator sqlglot models as one) in `dialect`."""
    if isinstance(node, exp.Binary | exp.Connector | exp.Unary | exp.Predicate | exp.SubqueryPredicate):
        return True  # operators: AND, OR, ->>, ~, ^ ... are not calls
    if isinstance(node, exp.Anonymous | exp.AnonymousAggFunc):
        return node.name.lower() in _NAMED.get(dialect, frozenset())
    return node.key in _TYPED


def called_name(node: exp.Func, dialect: Dialect) -> str:
    """The function's name as the person wrote it (or as `dialect` spells it), for error messages."""
    if isinstance(node, exp.Anonymous | exp.AnonymousAggFunc):
        return node.name.lower()
    head = node.sql(dialect=dialect).split("(", 1)[0].strip()
    return (head if head.replace("_", "").isalnum() else node.sql_name()).lower()
