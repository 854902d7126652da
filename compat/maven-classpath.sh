# Sourced by compat scripts: resolves the runtime classpath of a Maven pom with Maven into a
# cached file, online first and offline (-o) when Maven Central cannot be reached but ~/.m2
# holds the jars. The cache is reused while every jar it names exists and it is newer than
# the pom.
#
#   maven_classpath POM CP_FILE WHAT     WHAT names the classpath in error messages

# Whether CP_FILE names jars that all exist.
maven_classpath_ok() {
    local cp_file="$1" jar
    [[ -s "$cp_file" ]] || return 1
    IFS=':' read -r -a jars < "$cp_file"
    for jar in "${jars[@]}"; do [[ -f "$jar" ]] || return 1; done
}

maven_classpath() {
    local pom="$1" cp_file="$2" what="$3"
    if maven_classpath_ok "$cp_file" && [[ "$cp_file" -nt "$pom" ]]; then return 0; fi
    mkdir -p "$(dirname "$cp_file")"
    if ! mvn -q -B -Dstyle.color=never -f "$pom" dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2; then
        mvn -q -B -o -Dstyle.color=never -f "$pom" dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2 \
            || { echo "cannot resolve the $what classpath with Maven" >&2; return 1; }
    fi
    maven_classpath_ok "$cp_file" || { echo "Maven wrote no usable classpath to $cp_file" >&2; return 1; }
}
