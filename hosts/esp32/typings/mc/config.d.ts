/* The app manifest's "config", frozen (mcconfig writes it as mc/config), as the SDK types it. */
declare module 'mc/config' {
	const config: { file: { root: string } } & Record<string, any>;
	export default config;
}
