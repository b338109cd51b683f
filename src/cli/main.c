/* Entry point of the deconflict binary: dispatches to a subcommand.
 * Each subcommand lives in its own file under src/cli/ and prints its own
 * --help. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"check", dc_cli_check, "offline conflict check of a candidate against an airspace file"},
    {"init", dc_cli_init, "create a store and print the authority's first API key"},
    {"serve", dc_cli_serve, "serve the deconfliction HTTP API on a store"},
    {"audit", dc_cli_audit, "audit verify: check a store's audit chain offline"},
    {"verify", dc_cli_verify,
     "check the transparency log against the evidence kept in a directory"},
    {"log", dc_cli_log, "log key: print the transparency log's verifier key"},
    {"witness", dc_cli_witness,
     "cosign the transparency log's checkpoints as a third party; keygen"},
    {"backup", dc_cli_backup, "copy a SQLite store while servers keep running on it"},
    {"cpa", dc_cli_cpa, "offline tactical conflict detection over a file of position reports"},
    {"demo", dc_cli_demo, "play the reference scenario against a real server, party by party"},
    {"simulate", dc_cli_simulate, "stream the scenario's tracks to a server in real time"},
    {"airspace", dc_cli_airspace,
     "import ED-318 / OpenAir / AIXM airspace as restrictions; export"},
    {"operator", dc_cli_operator, "add, list or revoke operators (authority)"},
    {"restriction", dc_cli_restriction, "add, list or delete restrictions (authority)"},
    {"submit", dc_cli_submit, "submit a flight plan; prints the decision and any suggestion"},
    {"notices", dc_cli_notices, "the airspace you cannot use, as JSON, GeoJSON, KML or ED-318"},
    {"operations", dc_cli_operations, "list your operations (the authority: all)"},
    {"tracks", dc_cli_tracks, "post position reports of your aircraft"},
    {"alerts", dc_cli_alerts, "your alerts, or follow them live (--follow)"},
    {"feed", dc_cli_feed,
     "feed decode: recordings (ASTERIX, SBS, Beast) to JSON lines; feed status: live feeds"},
    {"version", dc_cli_version, "print the version of this build (also --version)"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: deconflict <command> [options]   (deconflict <command> --help)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
        return dc_cli_version(1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "deconflict: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
