package dev.kindling.core.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code <command> [config.properties] [--key=value | --key value ...] [--help]}, as DESIGN.md's
 * command-line contract says. Parsing only; {@link Config} checks the keys.
 *
 * @param command    the first argument
 * @param configFile the optional positional properties file
 * @param flags      every {@code --key=value}, in order
 * @param help       whether {@code --help} or {@code -h} was given
 */
public record CommandLine(String command, Path configFile, Map<String, String> flags, boolean help) {

    public static CommandLine parse(String... args) {
        if (args.length == 0) {
            return new CommandLine("help", null, Map.of(), true);
        }
        String command = args[0];
        Path file = null;
        Map<String, String> flags = new LinkedHashMap<>();
        boolean help = command.equals("--help") || command.equals("-h") || command.equals("help");
        List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            if (a.equals("--help") || a.equals("-h")) {
                help = true;
            } else if (a.startsWith("--")) {
                String body = a.substring(2);
                int eq = body.indexOf('=');
                if (eq >= 0) {
                    flags.put(body.substring(0, eq), body.substring(eq + 1));
                } else if (i + 1 < rest.size() && !rest.get(i + 1).startsWith("--")) {
                    flags.put(body, rest.get(++i));
                } else {
                    throw new ConfigException("flag --" + body + " has no value: write --" + body + "=VALUE");
                }
            } else if (file == null && a.endsWith(".properties")) {
                file = Path.of(a);
            } else {
                throw new ConfigException("unexpected argument '" + a + "': flags are --key=value, and one optional config.properties file may follow the command");
            }
        }
        return new CommandLine(help && args[0].startsWith("-") ? "help" : command, file, flags, help);
    }
}
