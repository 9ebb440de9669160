import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// HTTP/1.1 keeps a connection open unless told otherwise; HTTP/1.0 closes it unless told otherwise. Hummingbird
/// sees requests as version-less HTTP types and closes only on `Connection: close`, so an HTTP/1.0 client that
/// waits for the end of the connection (the end of its response) waited for the idle timeout. This server's
/// HTTP/1 channel says `Connection: close` for such a request before the version is lost.
struct HTTP1ClosingChannel: HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel
    var responder: Responder { inner.responder }

    static func builder(_ configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            HTTP1ClosingChannel(inner: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HTTP10CloseByDefault(), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async { await inner.handle(value: value, logger: logger) }
}

/// Marks an HTTP/1.0 request that did not ask for keep-alive with `Connection: close`.
final class HTTP10CloseByDefault: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data), head.version.major == 1, head.version.minor == 0,
            !head.isKeepAlive
        else { return context.fireChannelRead(data) }
        head.headers.replaceOrAdd(name: "connection", value: "close")
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}
