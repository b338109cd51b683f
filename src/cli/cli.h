/* Subcommands of the deconflict binary. Each returns the process exit code.
 * main.c dispatches by name; add a command by adding a line to its table. */
#ifndef DC_CLI_H
#define DC_CLI_H

int dc_cli_check(int argc, char **argv);
int dc_cli_serve(int argc, char **argv);
int dc_cli_init(int argc, char **argv);
int dc_cli_audit(int argc, char **argv);
int dc_cli_cpa(int argc, char **argv);
int dc_cli_demo(int argc, char **argv);
int dc_cli_simulate(int argc, char **argv);
int dc_cli_version(int argc, char **argv);
int dc_cli_backup(int argc, char **argv);
int dc_cli_airspace(int argc, char **argv);
int dc_cli_operator(int argc, char **argv);
int dc_cli_restriction(int argc, char **argv);
int dc_cli_submit(int argc, char **argv);
int dc_cli_notices(int argc, char **argv);
int dc_cli_operations(int argc, char **argv);
int dc_cli_alerts(int argc, char **argv);
int dc_cli_tracks(int argc, char **argv);
int dc_cli_feed(int argc, char **argv);
int dc__cli_feed_status(int argc, char **argv); /* feed_status.c */
int dc_cli_verify(int argc, char **argv);
int dc_cli_log(int argc, char **argv);
int dc_cli_witness(int argc, char **argv);

/* Prints one line naming what is wrong with argv[i] (an unknown option, a
 * missing or invalid value, a stray argument) given the command's options
 * as space-separated names; returns 2, the usage exit code. */
int dc__cli_bad_arg(const char *cmd, const char *known, int argc, char **argv, int i);

/* The build's version and installed data directory (version.c); static strings. */
const char *dc_cli_version_str(void);
const char *dc_cli_datadir(void);

#endif
