package io.tsdb.server;

import io.tsdb.core.db.Tsdb;
import io.tsdb.core.fs.FileLayer;

import java.nio.file.Path;

/** Starts an in-process server on loopback (an ephemeral port) whose storage writes through a given {@link FileLayer}. */
final class FileLayerServers {
    private FileLayerServers() {}

    static TsdbServer start(Path dataDir, FileLayer fs) throws Exception {
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dataDir;
        return TsdbServer.builder(c).storage(cfg -> Tsdb.open(Defaults.tsdbOptions(cfg).toBuilder().fileLayer(fs).build())).start();
    }
}
